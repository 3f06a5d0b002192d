/** Tests of the search on a fake scorer: exact seeded values and every stop condition. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import {
  advanceTogether,
  createSearch,
  PIXELS,
  runSearch,
  type SearchOptions,
} from "../experiments/search/search.ts";
import { fakeScorer } from "./_fake_scorer.ts";

const BASE = {
  digit: 7,
  masks: 40,
  target: 0.99,
  maxIterations: 200,
  patience: 30,
  perturbation: { density: 0.05, amplitude: 0.5 },
  base: "blank",
} satisfies SearchOptions;

Deno.test("runSearch() on a fake scorer gives exact seeded results", async () => {
  const result = await runSearch(fakeScorer(), { ...BASE, prng: createPrng(123) });
  assert.deepStrictEqual(
    {
      converged: result.converged,
      stuck: result.stuck,
      iterations: result.iterations,
      evaluations: result.evaluations,
      lastImprovement: result.lastImprovement,
      initialConfidence: result.initialConfidence,
      finalConfidence: result.finalConfidence,
      trajectory3: result.trajectory.slice(0, 3),
      litPixels: result.image.filter((v) => v > 0).length,
      levelSum: result.image.reduce((a, b) => a + b, 0),
    },
    GOLDEN,
  );
});

/** Pinned from this implementation: any change to the PRNG stream, masks or acceptance shows here. */
const GOLDEN = {
  converged: true,
  stuck: false,
  iterations: 196,
  evaluations: 7841,
  lastImprovement: 196,
  initialConfidence: 0.10000000149011612,
  finalConfidence: 0.9902896285057068,
  trajectory3: [0.10752326250076294, 0.1151181235909462, 0.12450948357582092],
  litPixels: 565,
  levelSum: 91239,
};

Deno.test("runSearch() is reproducible and depends on the seed", async () => {
  const a = await runSearch(fakeScorer(), { ...BASE, prng: createPrng(5) });
  const b = await runSearch(fakeScorer(), { ...BASE, prng: createPrng(5) });
  const c = await runSearch(fakeScorer(), { ...BASE, prng: createPrng(6) });
  assert.deepStrictEqual(a, b);
  assert.notDeepStrictEqual(a.image, c.image);
});

Deno.test("the search is elitist: the trajectory never decreases and ends at the final confidence", async () => {
  const r = await runSearch(fakeScorer(), { ...BASE, prng: createPrng(9) });
  for (let i = 1; i < r.trajectory.length; i++) assert.ok(r.trajectory[i] >= r.trajectory[i - 1]);
  assert.strictEqual(r.trajectory.at(-1), r.finalConfidence);
  assert.strictEqual(r.trajectory.length, r.iterations);
  assert.strictEqual(r.evaluations, 1 + r.iterations * BASE.masks);
});

Deno.test("candidates live on the 8-bit grid and each mask touches density × 784 pixels", () => {
  const search = createSearch({ ...BASE, masks: 8 }, createPrng(1));
  const base = search.propose();
  assert.strictEqual(base.count, 1);
  assert.ok(base.images.every((v) => v === 0));
  search.accept(new Float32Array(10).fill(0.1));
  const { images, count } = search.propose();
  assert.strictEqual(count, 8);
  for (let m = 0; m < count; m++) {
    const candidate = images.subarray(m * PIXELS, (m + 1) * PIXELS);
    for (const v of candidate) assert.strictEqual(Math.fround(Math.round(v * 255) / 255), v);
    // From black, only positive deltas survive the clamp: at most round(0.05 × 784) = 39 lit.
    const lit = candidate.filter((v) => v > 0).length;
    assert.ok(lit > 0 && lit <= 39, `mask ${m} lit ${lit}`);
    assert.ok(
      candidate.every((v) => v <= Math.fround(128 / 255)),
      "amplitude 0.5 caps one step at 128",
    );
  }
});

Deno.test("stop condition: converged as soon as the target is reached", async () => {
  const r = await runSearch(fakeScorer(), { ...BASE, target: 0.5, prng: createPrng(2) });
  assert.strictEqual(r.converged, true);
  assert.strictEqual(r.stuck, false);
  assert.ok(r.finalConfidence >= 0.5);
  assert.ok(
    r.trajectory.slice(0, -1).every((p) => p < 0.5),
    "stopped at the first iteration past the target",
  );
});

Deno.test("stop condition: stuck after `patience` iterations without improvement", async () => {
  // A scorer that never improves after the base: every candidate scores lower.
  let first = true;
  const flat = (_images: Float32Array, count: number) => {
    const out = new Float32Array(count * 10).fill(0.05);
    if (first) out[7] = 0.3;
    first = false;
    return Promise.resolve(out);
  };
  const r = await runSearch(flat, { ...BASE, patience: 4, prng: createPrng(2) });
  assert.deepStrictEqual(
    {
      converged: r.converged,
      stuck: r.stuck,
      iterations: r.iterations,
      lastImprovement: r.lastImprovement,
    },
    { converged: false, stuck: true, iterations: 4, lastImprovement: 0 },
  );
});

Deno.test("stop condition: maxIterations ends a run that is neither converged nor stuck", async () => {
  const r = await runSearch(fakeScorer(), {
    ...BASE,
    maxIterations: 3,
    patience: 100,
    prng: createPrng(2),
  });
  assert.deepStrictEqual(
    { converged: r.converged, stuck: r.stuck, iterations: r.iterations },
    { converged: false, stuck: false, iterations: 3 },
  );
});

Deno.test("runSearch() stops when its signal is aborted", async () => {
  const controller = new AbortController();
  const scorer = fakeScorer();
  const run = runSearch(scorer, {
    ...BASE,
    prng: createPrng(2),
    signal: controller.signal,
    onIteration: (_best, iteration) => iteration === 2 && controller.abort(),
  });
  await assert.rejects(run, { name: "AbortError" });
  assert.strictEqual(scorer.calls.length, 3);
});

Deno.test("searches advanced in lockstep (one shared scoring call) equal searches run alone", async () => {
  const alone = [];
  for (const digit of [1, 4, 7]) {
    alone.push(await runSearch(fakeScorer(), { ...BASE, digit, prng: createPrng(digit) }));
  }
  const score = fakeScorer();
  const searches = [1, 4, 7].map((digit) => createSearch({ ...BASE, digit }, createPrng(digit)));
  while (searches.some((s) => !s.done)) await advanceTogether(searches, score);
  assert.ok(score.calls.some((n) => n === 3 * BASE.masks), "candidates of all three shared a call");
  assert.deepStrictEqual(searches.map((s) => s.result()), alone);
});

Deno.test("a scorer that returns too few probabilities is an error, not a stuck run", async () => {
  const short = (_images: Float32Array, count: number) =>
    Promise.resolve(new Float32Array(count * 9));
  await assert.rejects(runSearch(short, { ...BASE, prng: createPrng(1) }), {
    name: "RangeError",
    message: "Cannot search: the scorer returned 9 probabilities for 1 images; expected 10",
  });
});
