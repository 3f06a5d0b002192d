/** Tests of the report writer: the baseline (reused only for its model), missing images, stalls.png. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { currentBaseline, writeReport } from "../experiments/report/write_report.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { stallRows } from "../experiments/analysis/stalls.ts";
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
  const { records } = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m1",
  });
  const image = records.find((r) => r.cell === "3-2-20")!.image;
  await Deno.remove(`${dir}/${image}`);
  await assert.rejects(writeReport(dir, {}), {
    name: "UsageError",
    message: `${dir}/${image} is missing: it is the image of cell 3-2-20`,
  });
});

Deno.test("failed runs get stalls.png (a row per digit, their own images) and a table; none, neither", async () => {
  const dir = await scratch("report-stalls");
  // The fake scorer cannot reach 0.999 in 3 iterations: every run fails.
  const hard = parseConfig({
    name: "stalls",
    digits: [3, 7],
    seeds: 3,
    masks: [20],
    target: 0.999,
    maxIterations: 3,
  });
  const { records } = await runExperiment(hard, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m1",
  });
  assert.ok(records.every((r) => !r.converged), "every run must stop short");
  await writeReport(dir, {});
  const { width, height, levels } = decodeGreyPng(await Deno.readFile(`${dir}/stalls.png`));
  // Two rows (3 and 7) of three runs, at renderGrid's 3× with 2-pixel separators.
  assert.deepStrictEqual([width, height], [3 * 84 + 4 * 2, 2 * 84 + 3 * 2]);
  const rows = stallRows(records);
  const pictured = records.find((r) => r.image === rows[0].pictured[0])!;
  const expected = decodeGreyPng(await Deno.readFile(`${dir}/${pictured.image}`)).levels;
  // The top-left tile is that run's image, upscaled 3×.
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      assert.strictEqual(levels[(2 + 3 * y) * width + 2 + 3 * x], expected[y * 28 + x]);
    }
  }
  const md = await Deno.readTextFile(`${dir}/report.md`);
  // Three steps, fewer than ten: a run is still rising if it ended above its starting image.
  for (const digit of [3, 7]) {
    const rising = records.filter((r) => r.digit === digit)
      .filter((r) => r.finalConfidence > r.initialConfidence).length;
    assert.ok(md.includes(`\n| ${digit} | 3 / 3 | 0 | 3 (${rising}) |`), `digit ${digit}`);
  }
  assert.ok(md.includes("](stalls.png)"));
  // The ending of each failed run, per network (named with model.json's sha256) and setting:
  // three steps are far from the 50-step window, so all six ran out of budget; each improved
  // at every step, so no flat stretch at all.
  assert.ok(
    records.every((r) => r.lastImprovement === r.iterations && new Set(r.trajectory).size === 3),
  );
  await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ sha256Onnx: "abcdef0123456789" }));
  await writeReport(dir, {});
  const rebuilt = await Deno.readTextFile(`${dir}/report.md`);
  const rising = records.filter((r) => r.finalConfidence > r.initialConfidence).length;
  assert.ok(
    rebuilt.includes(
      `\n| cnn (abcdef01) | 5 % / ±0.5, 20 masks | 20 | 6 | 0 | 0 (0–39 %) | 6 (${rising}) | 0 | 0 | 0 / 0 |`,
    ),
    rebuilt,
  );
  assert.match(rebuilt, /Every failed run:/);
  // boards.svg: a labelled tile per run, each failed one outlined; the report shows it.
  const boards = await Deno.readTextFile(`${dir}/boards.svg`);
  assert.strictEqual(boards.match(/<image /g)?.length, 6);
  assert.match(boards, /outlined: did not reach 0\.999/);
  assert.ok(boards.includes(">digit<") && boards.includes(">seed<"), "axis titles");
  assert.ok(rebuilt.includes("![identikit boards](boards.svg)"));

  // Starting over deletes it with the rest of what the run wrote.
  await runExperiment(hard, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m1",
    fresh: true,
  });
  assert.strictEqual(await exists(`${dir}/stalls.png`), false);

  // A sweep where every run converges writes no stalls.png, and a rebuilt report removes a stale one.
  const easy = await scratch("report-no-stalls");
  await runExperiment(CONFIG, { resultsDir: easy, score: fakeScorer(), modelSha256: "m1" });
  await Deno.writeFile(`${easy}/stalls.png`, Uint8Array.of(1, 2, 3));
  await writeReport(easy, {});
  assert.strictEqual(await exists(`${easy}/stalls.png`), false);
  assert.ok(!(await Deno.readTextFile(`${easy}/report.md`)).includes("stalls.png"));
});
