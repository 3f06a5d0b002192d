/**
 * Objective objects (ensembles, shifted copies, penalties) and the latent strategy, on fake
 * scorers and a fake decoder: exact seeded values, convergence by every model, and records
 * that do not depend on batching, shards or interruptions.
 */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import {
  compileObjective,
  ink,
  jitterShifts,
  OBJECTIVES,
  type ObjectiveSpec,
  shiftImage,
  totalVariation,
} from "../experiments/search/objectives.ts";
import {
  advanceTogether,
  createSearch,
  runSearch,
  type SearchOptions,
} from "../experiments/search/search.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { mergeShards } from "../experiments/store/merge.ts";
import { fakeScoring } from "./_fake_scorer.ts";
import { comparable, scratch } from "./_helpers.ts";

const SPEC = (over: Partial<ObjectiveSpec> = {}): ObjectiveSpec => ({
  name: "margin",
  combine: "min",
  jitter: 0,
  tv: 0,
  ink: 0,
  ...over,
});

Deno.test("a plain objective name and its object form without extras score alike", () => {
  const p = Float32Array.from({ length: 20 }, (_, i) => ((i * 7) % 10 + 1) / 55);
  const plain = compileObjective("margin"), object = compileObjective(SPEC());
  const levels = () => new Uint8Array(784);
  for (const c of [0, 1]) {
    assert.strictEqual(plain.value([p], c, levels, 3), OBJECTIVES.margin.evaluate(p, c, 3));
    assert.strictEqual(object.value([p], c, levels, 3), plain.value([p], c, levels, 3));
    assert.strictEqual(object.confidence([p], c, 3), p[c * 10 + 3]);
  }
});

Deno.test("an ensemble objective takes the min or mean over models and copies; confidence is the least model's on the exact image", () => {
  // Two models, jitter 1 (5 copies): rows of candidate 0 are copies 0–4.
  const rows = (values: number[]) =>
    Float32Array.from(values.flatMap((v) => [v, ...new Array(9).fill((1 - v) / 9)]));
  const a = rows([0.9, 0.5, 0.6, 0.7, 0.8]), b = rows([0.6, 0.95, 0.95, 0.95, 0.95]);
  const levels = () => new Uint8Array(784);
  const min = compileObjective(SPEC({ name: "probability", models: ["x", "y"], jitter: 1 }));
  assert.strictEqual(min.copies, 5);
  assert.deepStrictEqual(min.models, ["x", "y"]);
  assert.strictEqual(min.value([a, b], 0, levels, 0), Math.fround(0.5));
  const mean = compileObjective(
    SPEC({ name: "probability", models: ["x", "y"], jitter: 1, combine: "mean" }),
  );
  const all = [0.9, 0.5, 0.6, 0.7, 0.8, 0.6, 0.95, 0.95, 0.95, 0.95].map(Math.fround);
  assert.ok(Math.abs(mean.value([a, b], 0, levels, 0) - all.reduce((s, v) => s + v) / 10) < 1e-12);
  // Convergence reads the unshifted copy of every model: min(0.9, 0.6).
  assert.strictEqual(min.confidence([a, b], 0, 0), Math.fround(0.6));
});

Deno.test("shifted copies, total variation and ink are what they say", () => {
  assert.deepStrictEqual(jitterShifts(2), [
    [0, 0],
    [1, 0],
    [-1, 0],
    [0, 1],
    [0, -1],
    [2, 0],
    [
      -2,
      0,
    ],
    [0, 2],
    [0, -2],
  ]);
  const image = new Float32Array(784);
  image[10 * 28 + 5] = 1; // (x 5, y 10)
  const out = new Float32Array(2 * 784).fill(9);
  shiftImage(image, 2, -1, out, 784);
  assert.deepStrictEqual(out.subarray(0, 784).every((v) => v === 9), true);
  assert.deepStrictEqual([...out.subarray(784).keys()].filter((i) => out[784 + i] !== 0), [
    9 * 28 + 7,
  ]);
  // A 2×2 white square: 8 unit edges; ink 4 pixels.
  const levels = new Uint8Array(784);
  for (const i of [5 * 28 + 5, 5 * 28 + 6, 6 * 28 + 5, 6 * 28 + 6]) levels[i] = 255;
  assert.strictEqual(totalVariation(levels), 8 / 100);
  assert.strictEqual(ink(levels), 4 / 100);
  const penalised = compileObjective(SPEC({ name: "probability", tv: 2, ink: 1 }));
  const p = Float32Array.from([0.5, ...new Array(9).fill(0.5 / 9)]);
  assert.strictEqual(penalised.value([p], 0, () => levels, 0), Math.fround(0.5) - 0.16 - 0.04);
});

const SEARCH = {
  digit: 7,
  target: 0.9,
  maxIterations: 300,
  patience: 100,
  base: "blank",
} satisfies SearchOptions;

Deno.test("an ensemble search converges only when every model is sure, with exact seeded values", async () => {
  const scoring = fakeScoring();
  // Random templates (the fake models) agree on little: 0.5 is what two of them reach.
  const result = await runSearch(scoring, {
    ...SEARCH,
    target: 0.5,
    strategy: { name: "sketch" },
    objective: SPEC({ models: ["a", "b"] }),
    prng: createPrng(3),
  });
  assert.ok(result.converged);
  assert.deepStrictEqual(Object.keys(result.modelConfidences!), ["a", "b"]);
  assert.ok(Object.values(result.modelConfidences!).every((p) => p >= 0.5));
  assert.strictEqual(result.finalConfidence, Math.min(...Object.values(result.modelConfidences!)));
  assert.strictEqual(result.queries, result.evaluations * 2);
  // With jitter 1 every image is scored by both models in 5 copies.
  const jittered = await runSearch(fakeScoring(), {
    ...SEARCH,
    maxIterations: 5,
    strategy: { name: "sketch" },
    objective: SPEC({ models: ["a", "b"], jitter: 1 }),
    prng: createPrng(3),
  });
  assert.strictEqual(jittered.queries, jittered.evaluations * 5 * 2);
  assert.deepStrictEqual(
    [result.iterations, result.evaluations, result.finalConfidence],
    ENSEMBLE_GOLDEN,
  );
  assert.deepStrictEqual(new Set(scoring.calls.map((c) => c.model)), new Set(["a", "b"]));
});

/** Pinned from this implementation. */
const ENSEMBLE_GOLDEN = [197, 1577, 0.5021165609359741];

Deno.test("the latent strategy renders through the decoder and converges, with exact seeded values", async () => {
  for (const method of ["es", "nes"] as const) {
    const scoring = fakeScoring();
    // The fake decoder's 8 dimensions reach little of the fake model's taste: 0.18 here.
    const result = await runSearch(scoring, {
      ...SEARCH,
      target: 0.18,
      strategy: { name: "latent", method },
      objective: "margin",
      prng: createPrng(4),
    });
    assert.ok(result.converged, `${method} converges`);
    const decoded = scoring.calls.filter((c) => c.model === "vae").reduce((n, c) => n + c.count, 0);
    // Every candidate was rendered once and scored once; the blank base only scored.
    assert.strictEqual(decoded, result.evaluations - 1);
    assert.strictEqual(result.queries, 2 * result.evaluations - 1);
    assert.deepStrictEqual(
      [result.iterations, result.evaluations, result.finalConfidence],
      LATENT_GOLDEN[method],
    );
  }
});

const LATENT_GOLDEN = { es: [20, 321, 0.19446003437042236], nes: [19, 305, 0.19125594198703766] };

Deno.test("searches of different models and decoders share a step and see what they see alone", async () => {
  const options: SearchOptions[] = [
    { ...SEARCH, strategy: { name: "stroke" }, objective: "margin" },
    { ...SEARCH, strategy: { name: "sketch" }, objective: SPEC({ models: ["a", "b"], jitter: 1 }) },
    { ...SEARCH, strategy: { name: "latent" }, objective: SPEC({ models: ["b"] }) },
  ];
  const alone = [];
  for (const o of options) {
    alone.push(await runSearch(fakeScoring(), { ...o, prng: createPrng(9) }));
  }
  const together = options.map((o) => createSearch(o, createPrng(9)));
  const scoring = fakeScoring();
  while (together.some((s) => !s.done)) await advanceTogether(together, scoring);
  assert.deepStrictEqual(together.map((s) => s.result()), alone);
  // One call per model per step: never one per search.
  const steps = Math.max(...alone.map((r) => r.iterations)) + 1;
  assert.ok(scoring.calls.filter((c) => c.model === "b").length <= steps);
});

const CONFIG = parseConfig({
  name: "recognisable-fake",
  digits: [1, 7],
  seeds: 2,
  target: 0.8,
  maxIterations: 60,
  patience: 40,
  strategy: [{ name: "sketch" }, { name: "latent" }],
  objective: ["margin", { name: "margin", models: ["cnn-s2", "mlp"], jitter: 1, tv: 0.1 }],
});

Deno.test("ensembles and latents: automatic batching, --parallel 1, shards and resume give identical records", async () => {
  const run = (dir: string, extra: Partial<Parameters<typeof runExperiment>[1]> = {}) =>
    runExperiment(CONFIG, { resultsDir: dir, score: fakeScoring(), modelSha256: "m", ...extra });
  const auto = await run(await scratch("ens-auto"));
  assert.strictEqual(auto.records.length, 2 * 2 * 2 * 2);
  assert.deepStrictEqual(
    comparable((await run(await scratch("ens-one"), { parallel: 1 })).records),
    comparable(auto.records),
  );
  const dir = await scratch("ens-shards");
  for (const index of [1, 0]) await run(dir, { shard: { index, count: 2 } });
  const merged = await mergeShards(dir, { ...CONFIG, searchHash: auto.records[0].searchHash });
  assert.deepStrictEqual(comparable(merged.records), comparable(auto.records));
  const stopped = await scratch("ens-abort");
  const controller = new AbortController();
  // Two cells at a time, stopped after 5: then resumed with automatic batching.
  const first = await run(stopped, {
    parallel: 2,
    signal: controller.signal,
    onProgress: (p) => p.cellsDone >= 5 && controller.abort(),
  });
  assert.ok(first.interrupted && first.records.length < 16);
  await run(stopped);
  const { records } = await readRecords(`${stopped}/runs.jsonl`);
  assert.deepStrictEqual(comparable(records), comparable(auto.records));
  // Ensemble records name every model's confidence and count the network queries.
  const ensemble = auto.records.find((r) => typeof r.objective === "object")!;
  assert.deepStrictEqual(Object.keys(ensemble.modelConfidences!), ["cnn-s2", "mlp"]);
  assert.ok(ensemble.queries! > ensemble.evaluations);
  assert.strictEqual(
    auto.records.find((r) => r.objective === "margin" && !r.strategy?.name.startsWith("latent"))!
      .queries,
    undefined,
  );
});
