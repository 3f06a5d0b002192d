/** Shared command-line plumbing: flag parsing helpers, exit codes, progress bars. */

import { parseArgs, type ParseArgsConfig } from "node:util";
import process from "node:process";
import cliProgress from "cli-progress";
import { describeError, UsageError } from "../common/errors.ts";
import { DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR, PROJECT_ROOT } from "../common/files.ts";

/** Exit codes: 0 done, 1 failed, 2 bad input, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130, terminated: 143 } as const;

/**
 * Runs a command's main function: bad input (a {@linkcode UsageError}) exits 2 with its
 * message and hint, anything else exits 1 with the stack.
 */
export async function runMain(
  main: () => Promise<number | void>,
): Promise<never> {
  let code: number;
  try {
    code = (await main()) ?? EXIT.ok;
  } catch (error) {
    console.error(`error: ${describeError(error)}`);
    code = error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
  Deno.exit(code);
}

/**
 * One flag of a task: parseArgs' option with what `--help` says of it. Every flag a task accepts
 * goes through {@linkcode parseFlags}, so its help lists every flag by construction.
 */
export type Flags = Record<
  string,
  NonNullable<ParseArgsConfig["options"]>[string] & {
    /** What the flag does, in a line or two (its default is appended from `default`). */
    description: string;
    /** The value's placeholder in the help (`N`, `DIR`, `LIST`); string flags only. */
    arg?: string;
    /** The default as the help says it, where `default` is absent or not the whole story. */
    shownDefault?: string;
  }
>;

/** The flags section of a task's help: one entry per flag, with its meaning and default. */
export function flagsHelp(flags: Flags): string {
  const entries = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : ""}--${name}${
      f.type === "string" ? ` ${f.arg ?? "VALUE"}` : ""
    }`;
    const fallback = f.shownDefault ??
      (f.default === undefined || f.default === false ? undefined : String(f.default));
    return [left, `${f.description}${fallback === undefined ? "" : ` (default: ${fallback})`}`];
  });
  entries.push(["-h, --help", "print this help and exit, doing nothing else"]);
  const width = Math.min(24, Math.max(...entries.map(([l]) => l.length)) + 2);
  const indent = " ".repeat(2 + width);
  return entries.map(([left, text]) => {
    const lines = wrap(text, HELP_COLUMNS - indent.length);
    const first = left.length + 2 > width ? `  ${left}\n${indent}` : `  ${left.padEnd(width)}`;
    return first + lines.join(`\n${indent}`);
  }).join("\n");
}

/** The width help text wraps at. */
const HELP_COLUMNS = 100;

/** Words of `text` in lines of at most `columns` characters (a longer word gets its own). */
function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** What `--help` prints: the usage, the flags, and any closing text. */
export function helpText(usage: string, flags: Flags, after?: string): string {
  return `${usage}\n\nFlags:\n${flagsHelp(flags)}${after ? `\n\n${after}` : ""}`;
}

/**
 * `node:util` parseArgs, with unknown flags and parse failures reported as usage errors;
 * `--help` / `-h` prints the usage, every flag with its meaning and default, and `after`
 * (notes, lists), then exits 0 before anything is read or written.
 */
export function parseFlags<T extends Flags>(
  args: string[],
  { flags, usage, after }: { flags: T; usage: string; after?: string },
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(helpText(usage, flags, after));
    Deno.exit(EXIT.ok);
  }
  const options = Object.fromEntries(
    Object.entries(flags).map((
      [name, { description: _d, arg: _a, shownDefault: _s, ...option }],
    ) => [name, option]),
  ) as T;
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, {
      hint: `${usage}\n(deno task … --help lists every flag)`,
    });
  }
}

/**
 * {@linkcode parseFlags} for a task on one results folder (`deno task report results/<name>`):
 * its flags and the folder, without a trailing slash; anything but one folder is a usage error.
 */
export function parseFolderFlags<T extends Flags>(
  args: string[],
  options: { flags: T; usage: string; after?: string },
): {
  values: ReturnType<
    typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>
  >["values"];
  dir: string;
} {
  const { values, positionals } = parseFlags(args, options);
  if (positionals.length !== 1) {
    throw new UsageError("Expected one results folder", { hint: options.usage });
  }
  return { values, dir: positionals[0].replace(/\/+$/, "") };
}

/** {@linkcode parseFlags} for a task that takes no argument besides its flags. */
export function parseOnlyFlags<T extends Flags>(
  args: string[],
  options: { flags: T; usage: string; after?: string },
): ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>["values"] {
  const { values, positionals } = parseFlags(args, options);
  if (positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${positionals[0]}"`, { hint: options.usage });
  }
  return values;
}

/** `--model` and `--models-dir`: the flags of every task that works on one model of the zoo. */
export const MODEL_FLAGS = {
  model: {
    type: "string",
    default: "cnn",
    arg: "NAME",
    description: "the model of the zoo to work on",
  },
  "models-dir": modelsDirFlag(),
} as const satisfies Flags;

/** A folder flag: a string with a default. */
export interface DirFlag {
  readonly type: "string";
  readonly default: string;
  readonly shownDefault: string;
  readonly arg: "DIR";
  readonly description: string;
}

/** A folder as help and messages name it: relative to the project when inside it. */
export function shownPath(dir: string): string {
  return dir.startsWith(`${PROJECT_ROOT}/`) ? dir.slice(PROJECT_ROOT.length + 1) : dir;
}

/** A folder flag defaulting to `dir`, which its help names relative to the project. */
export function dirFlag(dir: string, description: string): DirFlag {
  return { type: "string", default: dir, shownDefault: shownPath(dir), arg: "DIR", description };
}

/** `--models-dir`, as every task that reads or writes models takes it. */
export function modelsDirFlag(what = "where models are read and written"): DirFlag {
  return dirFlag(DEFAULT_MODELS_DIR, what);
}

/** `--results-dir`, as every task that reads or writes results folders takes it. */
export function resultsDirFlag(what = "the folder of results folders"): DirFlag {
  return dirFlag(DEFAULT_RESULTS_DIR, what);
}

/** {@linkcode parseFlags} for a task on one model of the zoo: {@linkcode MODEL_FLAGS} and `flags`. */
export function parseModelFlags<T extends Flags>(
  args: string[],
  { flags, usage, after }: { flags: T; usage: string; after?: string },
): ReturnType<
  typeof parseArgs<{ options: typeof MODEL_FLAGS & T; allowPositionals: true; strict: true }>
> {
  return parseFlags(args, { usage, after, flags: { ...MODEL_FLAGS, ...flags } });
}

/** Parses an integer flag within [min, max], or throws a usage error naming the flag. */
export function intFlag(
  name: string,
  value: string | undefined,
  { fallback, min = 1, max = Number.MAX_SAFE_INTEGER }: {
    fallback: number;
    min?: number;
    max?: number;
  },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min}${
        max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`
      }, received "${value}"`,
    );
  }
  return n;
}

/** Parses a comma-separated list with `parse` for each item. */
export function listFlag<T>(
  name: string,
  value: string | undefined,
  { fallback, parse }: { fallback: T[]; parse: (item: string) => T },
): T[] {
  if (value === undefined) return fallback;
  const items = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) {
    throw new UsageError(`--${name} must list at least one value`);
  }
  return items.map(parse);
}

/** A progress bar on stderr; on a pipe it prints a line every few seconds instead. */
export function progressBar(format: string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({
    format,
    stream: process.stderr,
    barsize: 24,
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    etaBuffer: 50,
    fps: 5,
  }, cliProgress.Presets.shades_classic);
}

/** "1h 02m", "3m 05s", "42s"; "…" while unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "…";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/**
 * Refuses a folder the task may not use, before anything is created: the tasks in deno.json
 * grant reading the project and writing only their own output folders, and a flag pointing
 * elsewhere would otherwise end in a NotCapable stack trace halfway through.
 */
export function requireAccess(
  path: string,
  access: "read" | "write",
  options: { flag: string; allowed: string },
): void {
  if (Deno.permissions.querySync({ name: access, path }).state === "granted") return;
  throw new UsageError(
    `${options.flag} ${path}: this task may not ${access} there (it may ${access} only under ${options.allowed})`,
    {
      hint:
        `Pass a folder under ${options.allowed}, or run the script with \`deno run\` and your own --allow-${access}.`,
    },
  );
}
