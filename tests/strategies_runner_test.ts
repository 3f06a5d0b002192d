/** Sweeps of strategies × objectives: batching, shards and resume give identical records. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { mergeShards } from "../experiments/store/merge.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { STRATEGY_NAMES } from "../experiments/search/strategies/registry.ts";
import { fakeScorer, fakeScoring } from "./_fake_scorer.ts";
import { comparable, scratch } from "./_helpers.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";
import { createScorer } from "../infer/providers.ts";
import { createDecoder } from "../infer/decoder.ts";

const CONFIG = parseConfig({
  name: "every-strategy",
  digits: [1, 7],
  seeds: 2,
  masks: [20],
  target: 0.7,
  maxIterations: 40,
  patience: 20,
  strategy: STRATEGY_NAMES.map((name) => ({ name })),
  objective: ["logprob", "margin"],
});

const run = (dir: string, extra: Partial<Parameters<typeof runExperiment>[1]> = {}) =>
  runExperiment(CONFIG, { resultsDir: dir, score: fakeScoring(), modelSha256: "m", ...extra });

Deno.test("every strategy × objective: automatic batching, --parallel 1 and 3 shards agree", async () => {
  const auto = await run(await scratch("every-auto"));
  assert.strictEqual(auto.records.length, 2 * 2 * STRATEGY_NAMES.length * 2);
  const one = await run(await scratch("every-one"), { parallel: 1 });
  assert.deepStrictEqual(comparable(one.records), comparable(auto.records));
  const dir = await scratch("every-shards");
  for (const index of [2, 0, 1]) await run(dir, { shard: { index, count: 3 } });
  const merged = await mergeShards(dir, { ...CONFIG, searchHash: auto.records[0].searchHash });
  assert.deepStrictEqual(merged.missing, []);
  assert.deepStrictEqual(comparable(merged.records), comparable(auto.records));
  // Records of the new axes name them; greedy's own fields stay greedy's.
  const stroke = auto.records.find((r) => r.strategy?.name === "stroke")!;
  assert.deepStrictEqual(
    [stroke.masks, stroke.perturbation, stroke.objective, typeof stroke.shareMs],
    [undefined, undefined, "logprob", "number"],
  );
  const greedy = auto.records.find((r) => r.strategy === undefined)!;
  assert.deepStrictEqual([greedy.masks, greedy.objective], [20, "logprob"]);
});

Deno.test("an interrupted sweep of every strategy resumes to the same records", async () => {
  const clean = await run(await scratch("every-clean"));
  const dir = await scratch("every-abort");
  const controller = new AbortController();
  const first = await run(dir, {
    signal: controller.signal,
    onProgress: (p) => p.cellsDone >= 7 && controller.abort(),
  });
  assert.ok(first.interrupted && first.records.length >= 7 && first.records.length < 48);
  const resumed = await run(dir);
  assert.strictEqual(resumed.skipped, first.records.length);
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  assert.deepStrictEqual(comparable(records), comparable(clean.records));
  // The rate comes from the two run segments, not from overlapping per-cell wall times.
  const summary = await writeReport(dir);
  const segments = (await Deno.readTextFile(`${dir}/segments.jsonl`)).trim().split("\n")
    .map((l) => JSON.parse(l));
  assert.strictEqual(segments.length, 2);
  const queries = segments.reduce((n, s) => n + s.queries, 0);
  const seconds = segments.reduce((n, s) => n + s.elapsedMs, 0) / 1000;
  assert.strictEqual(summary.queriesPerSecond, queries / seconds);
  assert.deepStrictEqual(summary.settings.map((s) => s.strategy?.name ?? "greedy"), [
    ...STRATEGY_NAMES.flatMap((n) => [n, n]),
  ]);
});

Deno.test("a config of the seed's search alone writes records without the new fields, in cell order", async () => {
  const config = parseConfig({
    name: "old",
    digits: [1, 7],
    seeds: 2,
    masks: [10, 30],
    target: 0.6,
  });
  const dir = await scratch("old-fields");
  await runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const lines = (await Deno.readTextFile(`${dir}/runs.jsonl`)).trim().split("\n");
  assert.deepStrictEqual(Object.keys(JSON.parse(lines[0])), [
    "cell",
    "digit",
    "seed",
    "masks",
    "perturbation",
    "converged",
    "stuck",
    "iterations",
    "evaluations",
    "initialConfidence",
    "finalConfidence",
    "finalProbabilities",
    "trajectory",
    "lastImprovement",
    "image",
    "searchHash",
    "wallMs",
  ]);
  // One cell at a time (no --parallel): lines follow the cells' order, as before strategies.
  assert.deepStrictEqual(
    lines.map((l) => JSON.parse(l).cell),
    ["1-1-10", "1-1-30", "1-2-10", "1-2-30", "7-1-10", "7-1-30", "7-2-10", "7-2-30"],
  );
});

Deno.test("a results folder of an older version (no strategies in config.json) reports and resumes", async () => {
  const config = parseConfig({ name: "older", digits: [3], seeds: 2, masks: [20], target: 0.6 });
  const dir = await scratch("older");
  await runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  delete saved.strategies;
  delete saved.objectives;
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(saved));
  const summary = await writeReport(dir);
  assert.deepStrictEqual([summary.runs, summary.groups.length], [2, 1]);
  const again = await runExperiment(config, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual([again.ran, again.skipped], [0, 2]);
});

Deno.test("the report of a strategy sweep compares the settings by name, and nothing is undefined", async () => {
  const dir = await scratch("every-report");
  await run(dir);
  await writeReport(dir);
  const report = await Deno.readTextFile(`${dir}/report.md`);
  assert.match(report, /## Strategies\n/);
  assert.match(report, /\| sketch, 8 per step, margin \| 4 \| /);
  assert.match(report, /\| greedy, 20 masks, logprob \| 4 \| /);
  assert.match(
    report,
    /digit 7 reaches 0.7 \| 50 % of runs \| .* with sketch, 8 per step, logprob/,
  );
  assert.doesNotMatch(report, /undefined|NaN/);
  assert.strictEqual(report.split("evaluations.svg)").length - 1, 1, "the figure once");
});

Deno.test({
  name:
    "every strategy reaches 0.99 on a small real model (a softmax regression on MNIST), batched or not",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await tinyModel("softmax");
    await tinyModel("vae");
    const scorer = await createScorer(
      "node-cpu",
      await Deno.readFile(`${TEST_MODELS_DIR}/softmax.onnx`),
    );
    // The latent strategy draws through a tiny VAE's decoder (2 epochs on 1,000 digits).
    const decoder = await createDecoder(
      await Deno.readFile(`${TEST_MODELS_DIR}/vae.onnx`),
      "vae.onnx",
    );
    try {
      const config = parseConfig({
        name: "every-strategy-real",
        model: "softmax",
        digits: [0, 4, 9],
        seeds: [1],
        masks: [50],
        target: 0.99,
        maxIterations: 400,
        patience: 200,
        strategy: [
          ...STRATEGY_NAMES.filter((n) => n !== "nes" && n !== "latent").map((name) => ({ name })),
          { name: "nes", objective: "margin" },
        ],
        objective: "logprob",
      });
      const score = {
        score: (_model: string, images: Float32Array, count: number) => scorer.score(images, count),
        decode: (_decoder: string, latents: Float32Array, count: number) =>
          decoder.decode(latents, count),
      };
      const { records } = await runExperiment(config, {
        resultsDir: await scratch("every-real"),
        score,
        modelSha256: "tiny",
      });
      // onnxruntime's real kernels, not only the fake scorer, give the same records whether a
      // step's batch holds every cell's candidates or one cell's.
      const alone = await runExperiment(config, {
        resultsDir: await scratch("every-real-one"),
        score,
        modelSha256: "tiny",
        parallel: 1,
      });
      assert.deepStrictEqual(comparable(alone.records), comparable(records));
      // The tiny VAE (4 epochs on 2,000 digits) draws some digits well enough for the tiny
      // softmax to be 0.99 sure, not all: its own digits here.
      const latent = await runExperiment(
        {
          ...config,
          name: "latent-real",
          digits: [0, 2, 7],
          strategies: [{ name: "latent", objective: "margin" }],
        },
        { resultsDir: await scratch("latent-real"), score, modelSha256: "tiny" },
      );
      const failed = [...records, ...latent.records].filter((r) => !r.converged).map((r) => r.cell);
      assert.deepStrictEqual(failed, []);
      assert.strictEqual(records.length + latent.records.length, 3 * STRATEGY_NAMES.length);
    } finally {
      await scorer.close();
      await decoder.close();
    }
  },
});

Deno.test("the sweep's rate is images per second of its own clock, at K = 1 and at K = 4", async () => {
  const config = parseConfig({
    name: "rate",
    digits: [0, 1, 2, 3],
    seeds: 2,
    masks: [100],
    target: 0.999,
    maxIterations: 30,
    patience: 30,
  });
  for (const parallel of [1, 4]) {
    const dir = await scratch(`rate-${parallel}`);
    const started = performance.now();
    const { records } = await runExperiment(config, {
      resultsDir: dir,
      score: fakeScorer(),
      modelSha256: "m",
      parallel,
    });
    const seconds = (performance.now() - started) / 1000;
    const truth = records.reduce((n, r) => n + r.evaluations, 0) / seconds;
    const reported = (await writeReport(dir)).evaluationsPerSecond;
    // Summing the cells' overlapping wall times would report about 1/K of the truth.
    assert.ok(
      reported / truth > 0.8 && reported / truth < 1.25,
      `K=${parallel}: reported ${reported.toFixed(0)}/s, measured ${truth.toFixed(0)}/s`,
    );
  }
});
