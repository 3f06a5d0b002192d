/**
 * The baseline's figures (share of noise images above 0.6, of real digits above 0.9, the noise's
 * favourite answer) against a naive count of their own, on a scorer whose answers are known by
 * construction.
 */

import assert from "node:assert/strict";
import { computeBaseline, noiseImages } from "../experiments/analysis/baseline.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";

/**
 * A scorer whose answer is read off two pixels: pixel 0's level k gives the top probability
 * 0.11 + 0.89 k/255, pixel 1's level gives the top class (level mod 10), and the other nine
 * classes share the rest equally (each below 0.099, so the top is always the maximum). Then
 * "max softmax > 0.6" is "k ≥ 141" (0.6021; k = 140 gives 0.5986), "> 0.9" is "k ≥ 227"
 * (0.9022 vs 0.8988) and "> 0.99" is "k ≥ 253" (0.9930 vs 0.9895): far from float rounding.
 */
function twoPixelScorer(): (images: Float32Array, count: number) => Promise<Float32Array> {
  return (images, count) => {
    const out = new Float32Array(count * 10);
    for (let n = 0; n < count; n++) {
      const k = Math.round(images[n * 784] * 255), top = Math.round(images[n * 784 + 1] * 255) % 10;
      const p = 0.11 + 0.89 * k / 255;
      for (let j = 0; j < 10; j++) out[n * 10 + j] = j === top ? p : (1 - p) / 9;
    }
    return Promise.resolve(out);
  };
}

/** The counts the scorer's construction predicts, from the images' levels alone. */
function countByConstruction(images: Float32Array, count: number) {
  const level = (n: number, i: number) => Math.round(images[n * 784 + i] * 255);
  const above = (k: number) => Array.from({ length: count }, (_, n) => level(n, 0) >= k);
  const share = (flags: boolean[]) => flags.filter(Boolean).length / count;
  const classes = new Array(10).fill(0);
  for (let n = 0; n < count; n++) classes[level(n, 1) % 10]++;
  return {
    above06: share(above(141)),
    above09: share(above(227)),
    above099: share(above(253)),
    classes,
  };
}

/** A naive count over scored rows: the maximum of each row by its own loop, then thresholds. */
function naiveStats(probabilities: Float32Array, count: number) {
  const maxima: number[] = [],
    argmaxCounts = new Array(10).fill(0),
    histogram = new Array(20).fill(0);
  for (let n = 0; n < count; n++) {
    const row = Array.from(probabilities.subarray(n * 10, n * 10 + 10));
    const max = Math.max(...row);
    maxima.push(max);
    argmaxCounts[row.indexOf(max)]++;
    histogram[max >= 1 ? 19 : Math.floor(max * 20)]++;
  }
  const share = (t: number) => maxima.filter((m) => m > t).length / count;
  return {
    above06: share(0.6),
    above09: share(0.9),
    above099: share(0.99),
    mean: maxima.reduce((a, b) => a + b, 0) / count,
    argmaxCounts,
    histogram: histogram.map((h) => h / count),
  };
}

/** A made-up test set: image n has pixel 0 at level n and pixel 1 at level 3n; label known. */
function madeUpTestSet() {
  const count = 201;
  const images = new Float32Array(count * 784);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    images[n * 784] = n / 255;
    images[n * 784 + 1] = (3 * n) / 255;
    // The scorer answers (3n) mod 10; the first 150 labels agree with it, the rest are one off.
    labels[n] = n < 150 ? (3 * n) % 10 : ((3 * n) % 10 + 1) % 10;
  }
  return { images, labels, count };
}

Deno.test("computeBaseline() on a scorer of known answers gives the shares a naive count gives", async () => {
  const score = twoPixelScorer();
  const test = madeUpTestSet();
  const b = await computeBaseline(score, test, { noiseImages: 10000, seed: 20150601 });

  // Noise: the shares match both the construction (levels of the images scored) and a naive
  // count over the scored probabilities.
  const noise = noiseImages(10000, 20150601);
  const built = countByConstruction(noise, 10000);
  const naive = naiveStats(await score(noise, 10000), 10000);
  for (const key of ["above06", "above09", "above099"] as const) {
    assert.strictEqual(b.noise[key], built[key], `noise ${key}`);
    assert.strictEqual(b.noise[key], naive[key], `noise ${key}`);
  }
  assert.deepStrictEqual(b.noise.argmaxCounts, built.classes);
  assert.deepStrictEqual(b.noise.histogram, naive.histogram);
  assert.ok(Math.abs(b.noise.mean - naive.mean) < 1e-9);
  // Uniform levels 0–255: P(k ≥ 141) = 115/256 and P(k ≥ 227) = 29/256; 10,000 draws put each
  // share within 4 binomial standard deviations of that, and each class near 1/10 (256 levels
  // mod 10: classes 0–5 take 26 levels, 6–9 take 25).
  const near = (share: number, p: number, what: string) =>
    assert.ok(
      Math.abs(share - p) < 4 * Math.sqrt(p * (1 - p) / 10000),
      `${what}: ${share} vs ${p}`,
    );
  near(b.noise.above06, 115 / 256, "> 0.6");
  near(b.noise.above09, 29 / 256, "> 0.9");
  near(b.noise.above099, 3 / 256, "> 0.99");
  b.noise.argmaxCounts.forEach((c, j) => near(c / 10000, (j < 6 ? 26 : 25) / 256, `class ${j}`));

  // The made-up test set: levels 0–200, so the shares are exact counts of levels.
  assert.strictEqual(b.mnist.images, 201);
  assert.strictEqual(b.mnist.above06, (200 - 141 + 1) / 201);
  assert.strictEqual(b.mnist.above09, 0);
  assert.strictEqual(b.mnistAccuracy, 150 / 201);
  // The maxima rise with the level: the median is level 100's, p10 level 20's, p90 level 180's,
  // and the mean of a linear function of levels 0–200 is its value at 100.
  const at = (k: number) => Math.fround(0.11 + 0.89 * k / 255);
  assert.strictEqual(b.mnist.median, at(100));
  assert.strictEqual(b.mnist.p10, at(20));
  assert.strictEqual(b.mnist.p90, at(180));
  assert.ok(Math.abs(b.mnist.mean - at(100)) < 1e-6, `mean ${b.mnist.mean}`);
  // Histogram: levels 0–200 give maxima 0.11–0.808; bin b holds the levels whose maximum is in
  // [b/20, (b + 1)/20), counted here from the levels.
  const bins = new Array(20).fill(0);
  for (let k = 0; k <= 200; k++) bins[Math.floor(at(k) * 20)]++;
  assert.deepStrictEqual(b.mnist.histogram, bins.map((c) => c / 201));
});

Deno.test("the report prints the baseline's shares a naive count gives", async () => {
  const dir = await scratch("baseline-report");
  const config = parseConfig({ name: "base", digits: [3], seeds: 1, masks: [20], target: 0.5 });
  await runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const score = twoPixelScorer();
  const test = madeUpTestSet();
  await writeReport(dir, { score, loadTest: () => Promise.resolve(test) });
  const report = await Deno.readTextFile(`${dir}/report.md`);
  const noise = naiveStats(await score(noiseImages(10000, 20150601), 10000), 10000);
  const mnist = naiveStats(await score(test.images, test.count), test.count);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  assert.ok(
    report.includes(`${pct(noise.above06)} | ${pct(noise.above09)} | ${pct(noise.above099)} |`),
    `noise shares ${pct(noise.above06)}, ${pct(noise.above09)}, ${pct(noise.above099)}`,
  );
  assert.ok(report.includes(`| ${pct(mnist.above06)} | ${pct(mnist.above09)} | `));
  assert.ok(report.includes(`${pct(noise.above06)} of 10,000 noise images > 0.6`));
  assert.ok(report.includes(`${pct(mnist.above09)} of 201 test images > 0.9`));
  // The favourite answer on noise and its share, as the README states "3 for 84 %".
  const favourite = noise.argmaxCounts.indexOf(Math.max(...noise.argmaxCounts));
  assert.ok(
    report.includes(
      `most often answers **${favourite}** (${pct(noise.argmaxCounts[favourite] / 10000)}`,
    ),
    `favourite ${favourite}`,
  );
  assert.ok(report.includes(`classifies ${(100 * 150 / 201).toFixed(2)} % of the test digits`));
  // Not a vacuous match: the shares differ from one another.
  assert.notStrictEqual(pct(noise.above06), pct(noise.above09));
});
