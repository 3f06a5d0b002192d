/**
 * A record's search run again from its seed, step by step, and where it parts from the record.
 * Pure (no DOM, no Deno, no onnxruntime): the run page runs it on onnxruntime-web, the tests on
 * any scorer.
 */

import {
  advanceTogether,
  createPrng,
  createSearch,
  type Scoring,
  type SearchOptions,
  type SearchResult,
  type SearchStepper,
} from "../experiments/search/mod.ts";
import { type Cell, cellKey, cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { cellSearch } from "../experiments/sweep/cell_search.ts";
import type { ResolvedConfig } from "../experiments/sweep/config.ts";
import { decoderNames, searchModelNames } from "../experiments/sweep/search_models.ts";

/** What a replay needs: the cell's search, its PRNG seed, and the models and decoders it asks. */
export interface ReplayPlan {
  cell: Cell;
  search: SearchOptions;
  prngSeed: number;
  /** Models the objective names besides the config's own (by name). */
  models: string[];
  /** Decoders a latent strategy names. */
  decoders: string[];
}

/**
 * The plan of the config's cell whose key is `key` (a record's `cellKey`), exactly as the CLI's
 * runner makes it; a RangeError when the config has no such cell.
 */
export function replayPlan(config: ResolvedConfig, key: string): ReplayPlan {
  const cell = expandCells(config).find((c) => cellKey(c) === key);
  if (!cell) throw new RangeError(`The config has no cell ${key}: was the folder's config edited?`);
  const search = cellSearch(config, cell);
  const primary = typeof config.model === "string" ? config.model : config.model.onnx;
  return {
    cell,
    search,
    prngSeed: cellSeed(cell),
    models: searchModelNames(config).filter((m) => m !== primary),
    decoders: cell.strategy ? decoderNames([cell.strategy]) : [],
  };
}

/**
 * Runs the plan's seeded search to its end (a record's replay, the live page's run); `onStep`
 * hears of each step (after the base image's, the stepper at step 0) with the images scored so
 * far (shifted copies of a jittering objective included), so that a page may draw the image as
 * it grows.
 */
export async function replay(
  plan: Pick<ReplayPlan, "search" | "prngSeed">,
  scoring: Scoring,
  onStep?: (search: SearchStepper, scored: number) => void | Promise<void>,
): Promise<SearchResult> {
  const search = createSearch(plan.search, createPrng(plan.prngSeed));
  let scored = 0;
  while (!search.done) {
    scored += await advanceTogether([search], scoring);
    await onStep?.(search, scored);
  }
  return search.result();
}

/**
 * The first step (1-based) at which a replay's best confidence parts from the record's by more
 * than `tolerance` (the record keeps 6 decimals; onnxruntime-web and -node may differ in the
 * last bits of a float), or the step where one of them ends early; null when they agree.
 */
export function divergence(
  replayed: readonly number[],
  recorded: readonly number[],
  tolerance = 2e-6,
): number | null {
  const n = Math.min(replayed.length, recorded.length);
  for (let i = 0; i < n; i++) {
    if (Math.abs(replayed[i] - recorded[i]) > tolerance) return i + 1;
  }
  return replayed.length === recorded.length ? null : n + 1;
}

/** How many of two images' 784 levels differ. */
export function pixelsChanged(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
