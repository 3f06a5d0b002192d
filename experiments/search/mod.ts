/**
 * The search core: a seeded search that, given a `score(batch) → probabilities` function,
 * steps until the network is sure, the budget is spent or the search is stuck. Pure and
 * portable: no file system, no Deno or Node API, no onnxruntime and no tfjs, so the same
 * module runs in Deno, in Node and, bundled with `deno bundle --platform browser`, in a page.
 *
 * @example A seeded search that reports each step
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, createSearch } from "./mod.ts";
 *
 * // A stand-in "network": the brighter the image, the surer it is of a 1.
 * const score = (images: Float32Array, count: number): Float32Array => {
 *   const out = new Float32Array(count * 10);
 *   for (let n = 0; n < count; n++) {
 *     let ink = 0;
 *     for (let i = 0; i < 784; i++) ink += images[n * 784 + i];
 *     const p = Math.min(1, ink / 100);
 *     for (let k = 0; k < 10; k++) out[n * 10 + k] = k === 1 ? p : (1 - p) / 9;
 *   }
 *   return out;
 * };
 * const search = createSearch(
 *   { digit: 1, target: 0.9, maxIterations: 100, patience: 20, base: "blank", masks: 20 },
 *   createPrng(7),
 * );
 * const steps: number[] = [];
 * while (!search.done) {
 *   const { images, count } = search.propose();
 *   search.accept(score(images, count));
 *   steps.push(search.best);
 * }
 * const result = search.result();
 * assert.equal(result.converged, true);
 * assert.equal(steps.length, result.iterations + 1); // the base image, then each step
 * assert.equal(steps.at(-1), result.finalConfidence);
 * ```
 *
 * @module
 */

export { createPrng, deriveSeed, type Prng } from "../../common/prng.ts";
export {
  advanceTogether,
  candidatesPerStep,
  createSearch,
  type DecodeFn,
  type Perturbation,
  PIXELS,
  resolveStrategy,
  runSearch,
  type RunSearchOptions,
  type ScoreFn,
  type Scoring,
  type SearchOptions,
  type SearchResult,
  type SearchStepper,
  singleModel,
} from "./search.ts";
export {
  OBJECTIVE_NAMES,
  type ObjectiveChoice,
  type ObjectiveName,
  OBJECTIVES,
  PRIMARY_MODEL,
} from "./objectives.ts";
export { STRATEGIES, STRATEGY_NAMES, strategyOf } from "./strategies/registry.ts";
export type {
  Optimizer,
  StrategyDefinition,
  StrategySpec,
  StrategyStart,
} from "./strategies/strategy.ts";
