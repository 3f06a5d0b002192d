/**
 * Sharded sweeps: which share of the cells this process runs (from --shard or from the
 * scheduler's environment), and merging the shards' records back into one runs.jsonl.
 */

import { UsageError } from "../common/errors.ts";
import {
  cellKey,
  expandCells,
  isShardRecordsFile,
  readRecords,
  reproducible,
  type RunRecord,
  type Shard,
} from "./runner.ts";
import { canonicalJson } from "../common/canonical_json.ts";
import type { ResolvedConfig } from "./config.ts";

/** The environment variables a shard can come from (all the experiment task may read). */
export const SHARD_ENV = [
  "SLURM_ARRAY_TASK_ID",
  "SLURM_ARRAY_TASK_COUNT",
  "SLURM_ARRAY_TASK_MIN",
  "JOB_COMPLETION_INDEX",
  "IDENTIKIT_SHARD_COUNT",
] as const;

/** Parses `--shard i/n` (1-based i, as people count). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const i = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || i < 1 || i > n) {
    throw new UsageError(`--shard must be i/n with 1 ≤ i ≤ n, received "${text}"`, {
      hint: "For example --shard 2/4 runs the second of four shards.",
    });
  }
  return { index: i - 1, count: n };
}

/**
 * The shard from a scheduler: Slurm job arrays (SLURM_ARRAY_TASK_ID relative to
 * SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX, of IDENTIKIT_SHARD_COUNT, which the Job sets to its completions).
 * Undefined when neither is present.
 */
export function shardFromEnv(env: (name: string) => string | undefined): Shard | undefined {
  const int = (name: string): number => {
    const value = env(name);
    const n = Number(value);
    if (value === undefined || value === "" || !Number.isInteger(n) || n < 0) {
      throw new UsageError(`${name} must be a non-negative integer, received "${value ?? ""}"`);
    }
    return n;
  };
  let shard: Shard | undefined;
  if (env("SLURM_ARRAY_TASK_ID") !== undefined) {
    const min = env("SLURM_ARRAY_TASK_MIN") === undefined ? 0 : int("SLURM_ARRAY_TASK_MIN");
    if (env("SLURM_ARRAY_TASK_COUNT") === undefined) {
      throw new UsageError("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not", {
        hint: "Submit with a contiguous --array range (e.g. --array=0-15), or pass --shard i/n.",
      });
    }
    shard = { index: int("SLURM_ARRAY_TASK_ID") - min, count: int("SLURM_ARRAY_TASK_COUNT") };
  } else if (env("JOB_COMPLETION_INDEX") !== undefined) {
    if (env("IDENTIKIT_SHARD_COUNT") === undefined) {
      throw new UsageError("JOB_COMPLETION_INDEX is set but IDENTIKIT_SHARD_COUNT is not", {
        hint: "Set IDENTIKIT_SHARD_COUNT in the Job's env to the value of spec.completions.",
      });
    }
    shard = { index: int("JOB_COMPLETION_INDEX"), count: int("IDENTIKIT_SHARD_COUNT") };
  }
  if (shard && (shard.count < 1 || shard.index >= shard.count)) {
    throw new UsageError(
      `Shard index ${shard.index} from the environment is outside 0…${shard.count - 1}`,
      {
        hint:
          "Slurm arrays must be contiguous (--array=0-N or 1-N); Kubernetes completions must equal IDENTIKIT_SHARD_COUNT.",
      },
    );
  }
  return shard;
}

/** What {@linkcode mergeShards} found. */
export interface MergeResult {
  records: RunRecord[];
  files: string[];
  /** Cells of the config that no shard ran. */
  missing: string[];
  /**
   * Cells whose records disagree (in more than their timings) between two files, with both: a
   * cell run twice (a sweep re-sharded, a shard file copied) gives equal records, kept once.
   */
  conflicts: { cell: string; files: [string, string] }[];
  /** Shard files whose records were made under another config or model. */
  mismatched: { file: string; searchHash: string }[];
  /** Shard files ending in a half-written line (read without it when `live` is set). */
  torn: string[];
}

/**
 * Reads every `runs.<i>-of-<n>.jsonl` of a results folder and checks them against its config.
 * With `live` set the shards may still be running: a torn last line is left alone and reported
 * in `torn` (its cell counts as missing) instead of being an error.
 */
export async function mergeShards(
  dir: string,
  config: ResolvedConfig & { searchHash?: string },
  { live = false }: { live?: boolean } = {},
): Promise<MergeResult> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (isShardRecordsFile(entry.name)) files.push(entry.name);
  }
  files.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const seen = new Map<string, { record: RunRecord; file: string; same: string }>();
  const conflicts = new Map<string, { cell: string; files: [string, string] }>();
  const mismatched = new Map<string, string>();
  const torn: string[] = [];
  for (const file of files) {
    const read = await readRecords(`${dir}/${file}`, { skipTorn: live });
    if (read.torn) torn.push(file);
    const { records } = read;
    for (const r of records) {
      if (r.searchHash !== config.searchHash) {
        mismatched.set(file, r.searchHash);
        continue;
      }
      const key = cellKey(r), same = canonicalJson(reproducible(r));
      const prior = seen.get(key);
      if (!prior) seen.set(key, { record: r, file, same });
      else if (prior.same !== same && !conflicts.has(key)) {
        conflicts.set(key, { cell: r.cell, files: [prior.file, file] });
      }
    }
  }
  const cells = expandCells(config);
  return {
    files,
    records: cells.filter((c) => seen.has(cellKey(c))).map((c) => seen.get(cellKey(c))!.record),
    missing: cells.filter((c) => !seen.has(cellKey(c))).map((c) => c.id),
    conflicts: [...conflicts.values()],
    mismatched: [...mismatched].map(([file, searchHash]) => ({ file, searchHash })),
    torn,
  };
}

/** Lists up to `max` names, then how many more. */
export function listNames(names: string[], max = 12): string {
  return names.length <= max
    ? names.join(", ")
    : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
