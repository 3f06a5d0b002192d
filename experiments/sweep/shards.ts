/**
 * Sharded sweeps: which share of the cells this process runs (from --shard or from the
 * scheduler's environment), chosen by each cell's key. Merging the shards is store/merge.ts.
 */

import { UsageError } from "../../common/errors.ts";
import { deriveSeed } from "../../common/prng.ts";
import { type Cell, cellKey, type Coordinates } from "./axes.ts";

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

/**
 * A shard: this process runs the cells whose {@linkcode shardOf} is `index`, of `count`
 * shards (0-based).
 */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard (0-based, of `count`) that runs a cell: from the cell's key alone, never from its
 * place in the sweep, so that a sweep grown by seeds, digits or axis values leaves every old
 * cell in the shard that already holds its record.
 */
export function shardOf(cell: Coordinates, count: number): number {
  return deriveSeed("identikit/shard", cellKey(cell)) % count;
}

/** The cells a shard runs. */
export function shardCells(cells: Cell[], shard?: Shard): Cell[] {
  return shard ? cells.filter((c) => shardOf(c, shard.count) === shard.index) : cells;
}
