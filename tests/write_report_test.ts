/** Tests of the report writer's baseline: reused only for the model it was computed with. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { parseConfig } from "../experiments/config.ts";
import { runExperiment } from "../experiments/runner.ts";
import { currentBaseline, writeReport } from "../experiments/write_report.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";

const CONFIG = parseConfig({ name: "rep", digits: [3], seeds: 2, masks: [20], target: 0.5 });
const loadTest = () =>
  Promise.resolve({
    images: new Float32Array(4 * 784).fill(0.5),
    labels: Uint8Array.from([1, 2, 3, 4]),
    count: 4,
  });

Deno.test("a baseline is reused only for the model it was computed with; --fresh deletes it", async () => {
  const dir = await scratch("report-baseline");
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m1" });
  const scorer = fakeScorer();
  await writeReport(dir, { score: scorer, loadTest });
  const first = await currentBaseline(dir, { modelSha256: "m1" });
  assert.strictEqual(first?.modelSha256, "m1");
  assert.strictEqual(first?.noise.images, 10000);
  // Rebuilding for the same model reuses it: nothing is scored.
  const again = fakeScorer();
  await writeReport(dir, { score: again, loadTest });
  assert.strictEqual(again.calls.length, 0);

  // A baseline of another model is not shown, and is recomputed when a scorer is given.
  const path = `${dir}/baseline.json`;
  await Deno.writeTextFile(path, JSON.stringify({ ...first, modelSha256: "other" }));
  assert.strictEqual(await currentBaseline(dir, { modelSha256: "m1" }), null);
  await writeReport(dir, {});
  assert.doesNotMatch(await Deno.readTextFile(`${dir}/report.md`), /## Baseline/);
  const recompute = fakeScorer();
  await writeReport(dir, { score: recompute, loadTest });
  assert.deepStrictEqual(recompute.calls, [10000, 4]);
  assert.match(await Deno.readTextFile(`${dir}/report.md`), /## Baseline/);

  // Starting over with another model removes what the old run wrote.
  await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m2",
    fresh: true,
  });
  assert.strictEqual(await exists(path), false);
  assert.strictEqual(await exists(`${dir}/report.md`), false);
});

Deno.test("a missing image is bad input naming the file and the cell, not a stack trace", async () => {
  const dir = await scratch("report-missing-image");
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m1" });
  await Deno.remove(`${dir}/images/3-2-20.png`);
  await assert.rejects(writeReport(dir, {}), {
    name: "UsageError",
    message: `${dir}/images/3-2-20.png is missing: it is the image of cell 3-2-20`,
  });
});
