/**
 * The on-disk format of a results folder: `config.json` carries a format version; what is read
 * back is validated, older folders are upgraded, and foreign or newer ones are refused clearly.
 *
 * Records (`runs*.jsonl`) are versioned by the config.json beside them, not line by line: old
 * configs must keep producing byte-identical records, so a record gains no field.
 */

import { UsageError } from "../../common/errors.ts";
import { type ResolvedConfig, validateConfig } from "../sweep/config.ts";
import { DEFAULT_OBJECTIVE } from "../search/objectives.ts";
import { DEFAULT_STRATEGY } from "../search/strategies/registry.ts";
import type { RunRecord } from "./records.ts";

/**
 * The results format this version writes.
 * - 1 (no `format` field): up to regimes as an axis (`perturbation` was one object) and
 *   strategies/objectives (absent: greedy on probability).
 * - 2: `format`, `perturbations`, `strategies`, `objectives` always present.
 * - 3: images named by the record's whole identity (`images/<cell id>-<hash>.png`, see
 *   `imageFile`), where 1 and 2 named them by cell id alone, which two records could share;
 *   shards chosen by cell key (`shardOf`), where 1 and 2 took the cell's index mod n.
 *   Older folders are refused until `deno task migrate` renames their images.
 */
export const RESULTS_FORMAT = 3;

/** A results folder's config.json: the resolved config, its hashes and the format. */
export type StoredConfig = ResolvedConfig & {
  format: number;
  hash?: string;
  searchHash?: string;
  modelSha256?: string;
  /** sha256 of every other model the sweep used (ensembles, decoders, judges), by name. */
  otherModels?: Record<string, string>;
};

/** The fields a stored config has besides the resolved config. */
const STORED_EXTRAS = ["format", "hash", "searchHash", "modelSha256", "otherModels"] as const;

/**
 * Turns a parsed config.json into the current format, or throws a {@linkcode UsageError} that
 * says what the file is and what to do. A folder of an older format is refused with the command
 * that migrates it, unless `older` is set (for the migration itself): then `format` says which
 * format the folder was written in.
 */
export function parseStoredConfig(
  data: unknown,
  path: string,
  { older = false }: { older?: boolean } = {},
): { config: StoredConfig; format: number } {
  const notOurs = (why: string) =>
    new UsageError(
      `${path} is not the config of an identikit results folder:${
        why.startsWith("  - ") ? "\n" : " "
      }${why}`,
      {
        hint:
          "Pass results/<name>, a folder written by `deno task experiment`; if it is one, its config.json was edited or damaged: restore it, or run the experiment again with --fresh.",
      },
    );
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw notOurs("it is not a JSON object");
  }
  const raw = { ...data } as Record<string, unknown>;
  const format = raw.format ?? 1;
  if (typeof format !== "number" || !Number.isInteger(format) || format < 1) {
    throw notOurs(`"format" must be a whole number ≥ 1, found ${JSON.stringify(raw.format)}`);
  }
  if (format > RESULTS_FORMAT) {
    throw new UsageError(
      `${path} was written by a newer identikit (results format ${format}; this one reads up to ${RESULTS_FORMAT})`,
      { hint: "Update identikit (git pull) to read or resume this folder." },
    );
  }
  for (const key of ["hash", "searchHash", "modelSha256"] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== "string") {
      throw notOurs(`"${key}" must be a string, found ${JSON.stringify(raw[key])}`);
    }
  }
  const others = raw.otherModels;
  if (
    others !== undefined &&
    (typeof others !== "object" || others === null || Array.isArray(others) ||
      Object.values(others).some((v) => typeof v !== "string"))
  ) {
    throw notOurs(`"otherModels" must map model names to sha256 strings`);
  }
  // Format 1: one perturbation object, and no strategies or objectives (the seed's search).
  if (format === 1) {
    if (raw.perturbations === undefined && raw.perturbation !== undefined) {
      raw.perturbations = [raw.perturbation];
    }
    delete raw.perturbation;
    raw.strategies ??= [{ ...DEFAULT_STRATEGY }];
    raw.objectives ??= [DEFAULT_OBJECTIVE];
  }
  // Validate as a config file would be: back to the file's field names, through the schema.
  const { perturbations, strategies, objectives, ...rest } = raw;
  const extras = Object.fromEntries(STORED_EXTRAS.map((k) => [k, rest[k]]));
  for (const k of STORED_EXTRAS) delete rest[k];
  const problems = validateConfig({
    ...rest,
    perturbation: perturbations,
    strategy: strategies,
    objective: objectives,
  });
  if (typeof problems === "string") throw notOurs(problems);
  const config: StoredConfig = {
    format: RESULTS_FORMAT,
    ...problems,
    ...Object.fromEntries(
      Object.entries(extras).filter(([k, v]) => k !== "format" && v !== undefined),
    ),
  };
  if (format < RESULTS_FORMAT && !older) {
    const dir = path.replace(/\/?config\.json$/, "") || ".";
    throw new UsageError(
      `${path} was written by an older identikit (results format ${format}; this one reads ${RESULTS_FORMAT}): its images are named by cell id alone, which two records can share`,
      {
        hint: `Migrate it once (renames its images, keeps every record): deno task migrate ${dir}`,
      },
    );
  }
  return { config, format };
}

/**
 * Reads a results folder's config.json and checks it with {@linkcode parseStoredConfig}; a file
 * that is not JSON is bad input. A missing file throws `Deno.errors.NotFound` for the caller to
 * word.
 */
export async function readStoredConfig(
  path: string,
  options: { older?: boolean } = {},
): Promise<{ config: StoredConfig; format: number }> {
  const text = await Deno.readTextFile(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`, {
      hint: "Restore it, or run the experiment again with --fresh to start over.",
    });
  }
  return parseStoredConfig(data, path, options);
}

/** The fields every record has, with their types, for reading records written elsewhere. */
const RECORD_FIELDS: [keyof RunRecord, "string" | "number" | "boolean"][] = [
  ["cell", "string"],
  ["digit", "number"],
  ["seed", "number"],
  ["converged", "boolean"],
  ["evaluations", "number"],
  ["image", "string"],
  ["searchHash", "string"],
];

/** Why `value` is not a run record, or null when it is one. */
export function recordProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const r = value as Record<string, unknown>;
  for (const [key, type] of RECORD_FIELDS) {
    const actual: string = typeof r[key];
    if (actual !== type) {
      return `"${key}" should be a ${type}, found ${JSON.stringify(r[key])}`;
    }
  }
  const p = r.finalProbabilities;
  if (!Array.isArray(p) || p.length !== 10 || !p.every((x) => typeof x === "number")) {
    return `"finalProbabilities" should be 10 numbers`;
  }
  return null;
}

/**
 * Reads config.json of a results folder, with a clear error when it is not one, or is of another
 * version (an older one names the command that migrates it). Never writes.
 */
export async function readResultsConfig(dir: string): Promise<StoredConfig> {
  const path = `${dir}/config.json`;
  let read: Awaited<ReturnType<typeof readStoredConfig>>;
  try {
    read = await readStoredConfig(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      throw new UsageError(
        `${dir} is not an identikit results folder: ${
          error instanceof Deno.errors.NotFound ? "it has no config.json" : "it is not a folder"
        }`,
        { hint: "Pass results/<name>, a folder written by `deno task experiment`." },
      );
    }
    throw error;
  }
  return read.config;
}
