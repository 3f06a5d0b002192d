/**
 * identikit: ask an MNIST network what it thinks a digit looks like.
 *
 * Train a classifier with TensorFlow.js (wasm backend, fast custom gradients), export it to
 * ONNX, then search from a blank image with random pixel-perturbation masks scored in
 * batches by onnxruntime, until the network is sure. Sweeps are declared in JSON.
 *
 * The library, by layer: the search core (`createSearch`, `runSearch`: pure, also
 * `experiments/search/mod.ts` for a browser), the sweep's plan (`parseConfig`, `readConfig`,
 * `expandCells`, `cellSearch`), running it (`runExperiment`), its results (`readRecords`,
 * `readConfigRecords`, `mergeShards`), their statistics (`summarize`) and the report
 * (`writeReport`).
 *
 * @example Expand a sweep into its cells
 * ```ts
 * import assert from "node:assert/strict";
 * import { cellKey, expandCells, parseConfig } from "./mod.ts";
 *
 * // Unknown keys are errors; everything left out takes its default (500 masks, 0.99, …).
 * const config = parseConfig({ name: "example", digits: [3, 7], seeds: 2, masks: [50, 500] });
 * const cells = expandCells(config);
 * // 2 digits × 2 seeds × 2 mask counts, in digit, seed, masks order.
 * assert.equal(cells.length, 8);
 * assert.deepEqual([cells[0].digit, cells[0].seed, cells[0].masks], [3, 1, 50]);
 * // A cell's key names every coordinate, the default regime's too: it is what a resume matches.
 * assert.equal(cellKey(cells[0]), "3|1|50|0.05|0.5");
 * ```
 *
 * @example Run a search with any scoring function
 * ```ts
 * import assert from "node:assert/strict";
 * import { createPrng, runSearch } from "./mod.ts";
 *
 * // A stand-in "network" that likes bright images for digit 1.
 * const score = (images: Float32Array, count: number) => {
 *   const out = new Float32Array(count * 10).fill(0.05);
 *   for (let n = 0; n < count; n++) {
 *     let sum = 0;
 *     for (let i = 0; i < 784; i++) sum += images[n * 784 + i];
 *     out[n * 10 + 1] = Math.min(1, sum / 200);
 *   }
 *   return Promise.resolve(out);
 * };
 * const result = await runSearch(score, {
 *   digit: 1,
 *   masks: 50,
 *   target: 0.99,
 *   maxIterations: 200,
 *   patience: 50,
 *   perturbation: { density: 0.05, amplitude: 0.5 },
 *   base: "blank",
 *   prng: createPrng(1),
 * });
 * // Seeded: the same 32 steps on any machine. Every step scores 50 masks, after the blank base.
 * assert.deepEqual([result.converged, result.iterations], [true, 32]);
 * assert.equal(result.evaluations, 1 + 32 * 50);
 * // The image is on the 8-bit grid and is exactly what was scored: re-scoring it agrees.
 * const again = await score(Float32Array.from(result.image, (v) => v / 255), 1);
 * assert.equal(again[1], result.finalConfidence);
 * assert.ok(result.finalConfidence >= 0.99);
 * ```
 *
 * @module
 */

export { createPrng, deriveSeed, type Prng } from "./common/prng.ts";
export { FileFormatError, UnavailableError, UsageError } from "./common/errors.ts";
export {
  advanceTogether,
  createSearch,
  type Perturbation,
  runSearch,
  type RunSearchOptions,
  type ScoreFn,
  type SearchOptions,
  type SearchResult,
  type SearchStepper,
} from "./experiments/search/search.ts";
// Strategies: `runSearch(score, { ...options, strategy: { name: "sketch" }, objective: "logprob" })`.
export {
  configJsonSchema,
  ConfigSchema,
  parseConfig,
  readConfig,
  type ResolvedConfig,
} from "./experiments/sweep/config.ts";
export {
  type Cell,
  cellKey,
  type Coordinates,
  settingKey,
  settingLabel,
} from "./experiments/sweep/axes.ts";
export {
  OBJECTIVE_NAMES,
  type ObjectiveName,
  OBJECTIVES,
} from "./experiments/search/objectives.ts";
export {
  STRATEGIES,
  STRATEGY_NAMES,
  strategyOf,
} from "./experiments/search/strategies/registry.ts";
export type {
  Optimizer,
  StrategyDefinition,
  StrategySpec,
  StrategyStart,
} from "./experiments/search/strategies/strategy.ts";
export { cellSeed, expandCells } from "./experiments/sweep/axes.ts";
export { readRecords } from "./experiments/store/records_io.ts";
export { readResultsConfig, type StoredConfig } from "./experiments/store/results_format.ts";
export { type ConfigRecords, readConfigRecords } from "./experiments/store/config_records.ts";
export { type MergeResult, mergeShards } from "./experiments/store/merge.ts";
export { cellSearch } from "./experiments/sweep/cell_search.ts";
export {
  runExperiment,
  type RunOptions,
  type RunOutcome,
  type RunProgress,
} from "./experiments/scheduler/runner.ts";
export { type RunRecord } from "./experiments/store/records.ts";
export { type Shard, shardCells } from "./experiments/sweep/shards.ts";
export {
  quantile,
  summarize,
  type Summary,
  wilsonInterval,
} from "./experiments/analysis/statistics.ts";
export { writeReport } from "./experiments/report/write_report.ts";
export { decodeGreyPng, encodeGreyPng, renderGrid } from "./experiments/store/images.ts";
export { createScorer, type Scorer } from "./infer/providers.ts";
export {
  parseProviderName,
  PROVIDER_NAMES,
  type ProviderName,
  PROVIDERS,
} from "./common/provider_names.ts";
export { countFlops } from "./infer/flops.ts";
export { loadMnist, type MnistSet, parseIdxImages, parseIdxLabels } from "./common/mnist.ts";
export { MODEL_NAMES, type ModelName, TRAINING_DEFAULTS } from "./common/model_names.ts";
