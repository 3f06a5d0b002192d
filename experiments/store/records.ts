/** What a results folder holds per finished cell: the run record, its judges' verdicts, its names. */

import { sha256Hex } from "../../common/files.ts";
import type { ObjectiveChoice } from "../search/objectives.ts";
import type { Perturbation } from "../search/strategies/greedy.ts";
import type { StrategySpec } from "../search/strategies/strategy.ts";
import type { SearchResult } from "../search/search.ts";
import { type Cell, cellKey, type Coordinates } from "../sweep/axes.ts";
import type { Shard } from "../sweep/shards.ts";

/** The fields of a run record that statistics need. */
export interface RunStats {
  digit: number;
  /** Greedy runs: masks per step. */
  masks?: number;
  /** Greedy runs: the perturbation regime (groups split by it when several were swept). */
  perturbation?: Perturbation;
  /** Runs of another strategy than greedy. */
  strategy?: StrategySpec;
  /** Runs of another objective than probability. */
  objective?: ObjectiveChoice;
  converged: boolean;
  stuck: boolean;
  iterations: number;
  evaluations: number;
  /** Network queries, when they differ from evaluations (ensembles, shifted copies, decoders). */
  queries?: number;
  finalConfidence: number;
  wallMs: number;
  /** This run's share of the sweep's time when it ran beside others (new axes only). */
  shareMs?: number;
}

/** One line of `runs.jsonl`: everything about one finished cell. */
export interface RunRecord extends RunStats {
  cell: string;
  seed: number;
  /** Greedy cells: the perturbation regime. */
  perturbation?: Perturbation;
  /** Cells of a strategy other than plain greedy: the strategy object with its parameters. */
  strategy?: StrategySpec;
  /** Cells of an objective other than probability. */
  objective?: ObjectiveChoice;
  initialConfidence: number;
  finalProbabilities: number[];
  /** Ensembles: each search model's target probability on the final image. */
  modelConfidences?: Record<string, number>;
  /** Network queries, when they differ from evaluations (ensembles, shifted copies, decoders). */
  queries?: number;
  trajectory: number[];
  lastImprovement: number;
  /** Path of the PNG relative to the results folder. */
  image: string;
  /** The search hash the record was made under. */
  searchHash: string;
  /** What the config's judges (models and pixel judges outside the search) say of the image. */
  judges?: Record<string, Verdict>;
  /**
   * Sweeps of strategies or objectives: this cell's share of the sweep's wall time, each
   * step's time split over the cells in it by the images each had scored.
   */
  shareMs?: number;
}

/** One judge's verdict on a final image. */
export interface Verdict {
  /** The digit the judge sees (for "plausible": the nearest training digit's label). */
  label: number;
  /** Whether the judge calls the target (for "plausible": near enough and the target's label). */
  target: boolean;
  /** Model judges: the target's probability. */
  p?: number;
  /** "nearest" and "plausible": the Euclidean distance to the nearest training digit. */
  distance?: number;
  /** "mean": the correlation with the chosen digit's mean image. */
  correlation?: number;
}

/** Judges a final image (its 8-bit levels) made for `digit`. */
export type JudgeFn = (image: Uint8Array, digit: number) => Promise<Record<string, Verdict>>;

/**
 * A record's image file, relative to the results folder: the cell id for people to read, then a
 * hash of the record's whole identity (every coordinate, swept or not, and the search hash).
 * Ids leave out axes with a single value, so two records of one folder (a regime edited and
 * edited back) can share an id; they never share an image.
 */
export async function imageFile(
  id: string,
  cell: Coordinates,
  searchHash: string,
): Promise<string> {
  const identity = await sha256Hex(`${cellKey(cell)}\u0000${searchHash}`);
  return `images/${id}-${identity.slice(0, 12)}.png`;
}

/**
 * What the same cell, run again under the same search, always reproduces: all but its timings,
 * and all but its names (`cell` and `image`), which follow the config's id format at the time it
 * ran (a regime added later appends to ids), not the cell itself.
 */
export function reproducible(
  record: RunRecord,
): Omit<RunRecord, "wallMs" | "shareMs" | "cell" | "image"> {
  const { wallMs: _w, shareMs: _s, cell: _c, image: _i, ...rest } = record;
  return rest;
}

/** The records file of a shard (numbered from 1, as on the command line) or of the whole run. */
export function recordsFile(shard?: Shard): string {
  return shard ? `runs.${shard.index + 1}-of-${shard.count}.jsonl` : "runs.jsonl";
}

/** What a record holds besides its cell and its search's result. */
export interface RecordMade {
  /** The image file (see {@linkcode imageFile}). */
  image: string;
  searchHash: string;
  judges?: Record<string, Verdict>;
  wallMs: number;
  shareMs?: number;
}

/** The record of a finished cell. */
export function recordOf(cell: Cell, result: SearchResult, made: RecordMade): RunRecord {
  // Field order is part of the record's bytes: old configs' records must not change.
  return {
    cell: cell.id,
    digit: cell.digit,
    seed: cell.seed,
    ...(cell.masks !== undefined ? { masks: cell.masks } : {}),
    ...(cell.perturbation ? { perturbation: cell.perturbation } : {}),
    ...(cell.strategy ? { strategy: cell.strategy } : {}),
    ...(cell.objective ? { objective: cell.objective } : {}),
    converged: result.converged,
    stuck: result.stuck,
    iterations: result.iterations,
    evaluations: result.evaluations,
    initialConfidence: result.initialConfidence,
    finalConfidence: result.finalConfidence,
    finalProbabilities: result.finalProbabilities,
    ...(result.modelConfidences ? { modelConfidences: result.modelConfidences } : {}),
    ...(result.queries !== result.evaluations ? { queries: result.queries } : {}),
    trajectory: result.trajectory.map((v) => Math.round(v * 1e6) / 1e6),
    lastImprovement: result.lastImprovement,
    image: made.image,
    searchHash: made.searchHash,
    ...(made.judges ? { judges: made.judges } : {}),
    wallMs: Math.round(made.wallMs),
    ...(made.shareMs === undefined ? {} : { shareMs: Math.round(made.shareMs) }),
  };
}
