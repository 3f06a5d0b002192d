/** Tests of the search strategies and objectives: seeded exact values, invariants, lockstep. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import { OBJECTIVES } from "../experiments/search/objectives.ts";
import {
  advanceTogether,
  createSearch,
  PIXELS,
  runSearch,
  type SearchOptions,
} from "../experiments/search/search.ts";
import { STRATEGIES, STRATEGY_NAMES } from "../experiments/search/strategies/registry.ts";
import { squareSide } from "../experiments/search/strategies/square.ts";
import {
  createKindShares,
  initialShares,
  sketch,
} from "../experiments/search/strategies/sketch.ts";
import { drawStroke } from "../experiments/search/strategies/_raster.ts";
import { fakeScorer, fakeScoring } from "./_fake_scorer.ts";

const NEW = STRATEGY_NAMES.filter((n) => n !== "greedy");

const BASE = {
  digit: 7,
  target: 0.8,
  maxIterations: 300,
  patience: 60,
  base: "blank",
  objective: "margin",
} satisfies SearchOptions;

/** Pinned from this implementation: a change to a strategy's draws or acceptance shows here. */
const GOLDEN: Record<string, Record<string, number | boolean>> = {
  square: {
    converged: true,
    stuck: false,
    iterations: 291,
    evaluations: 1165,
    finalConfidence: 0.8043856024742126,
    levelSum: 77520,
  },
  nes: {
    converged: true,
    stuck: false,
    iterations: 50,
    evaluations: 1001,
    finalConfidence: 0.8038131594657898,
    levelSum: 53700,
  },
  es: {
    converged: true,
    stuck: false,
    iterations: 277,
    evaluations: 2217,
    finalConfidence: 0.806135356426239,
    levelSum: 100770,
  },
  stroke: {
    converged: true,
    stuck: false,
    iterations: 216,
    evaluations: 1729,
    finalConfidence: 0.8007866144180298,
    levelSum: 91105,
  },
  // Thick strokes suit a CNN, not the fake scorer's random pixel templates: it ends at the limit.
  sketch: {
    converged: false,
    stuck: false,
    iterations: 300,
    evaluations: 2401,
    finalConfidence: 0.7752712368965149,
    levelSum: 111110,
  },
  // The fake decoder's 8 dimensions reach little of the fake model's taste: stuck below 0.8.
  latent: {
    converged: false,
    stuck: true,
    iterations: 140,
    evaluations: 2241,
    finalConfidence: 0.23892246186733246,
    levelSum: 78139,
  },
};

for (const name of NEW) {
  Deno.test(`${name}: a seeded search on a fake scorer gives exact values`, async () => {
    const r = await runSearch(fakeScoring(), {
      ...BASE,
      strategy: { name },
      prng: createPrng(11),
    });
    assert.deepStrictEqual(
      {
        converged: r.converged,
        stuck: r.stuck,
        iterations: r.iterations,
        evaluations: r.evaluations,
        finalConfidence: r.finalConfidence,
        levelSum: r.image.reduce((a, b) => a + b, 0),
      },
      GOLDEN[name],
    );
  });

  Deno.test(`${name}: evaluations count every image scored; the final image re-scores exactly`, async () => {
    const scorer = fakeScoring();
    const r = await runSearch(scorer, {
      ...BASE,
      target: 0.99,
      maxIterations: 12,
      strategy: { name },
      prng: createPrng(3),
    });
    const per = STRATEGIES[name].candidates(STRATEGIES[name].schema.parse({ name }));
    // One scoring call per step (a latent strategy first renders its candidates: one decode).
    const scored = scorer.calls.filter((c) => c.model === "").map((c) => c.count);
    assert.deepStrictEqual(scored, [1, ...Array(12).fill(per)]);
    const decoded = scorer.calls.filter((c) => c.model === "vae").map((c) => c.count);
    assert.deepStrictEqual(decoded, name === "latent" ? Array(12).fill(per) : []);
    assert.strictEqual(r.evaluations, 1 + 12 * per);
    // The trajectory is the best confidence scored so far and ends at the final image's.
    for (let i = 1; i < r.trajectory.length; i++) assert.ok(r.trajectory[i] >= r.trajectory[i - 1]);
    assert.strictEqual(r.trajectory.at(-1), r.finalConfidence);
    // The final image is exactly what was scored: re-scoring it gives the same probabilities.
    const again = await fakeScorer()(Float32Array.from(r.image, (v) => v / 255), 1);
    assert.deepStrictEqual(Array.from(again), r.finalProbabilities);
  });
}

Deno.test("searches of every strategy advanced in lockstep equal searches run alone", async () => {
  const options = NEW.map((name, i): SearchOptions => ({
    ...BASE,
    digit: i,
    maxIterations: 40,
    strategy: { name },
  }));
  const alone = [];
  for (const [i, o] of options.entries()) {
    alone.push(await runSearch(fakeScoring(), { ...o, prng: createPrng(i) }));
  }
  const score = fakeScoring();
  const searches = options.map((o, i) => createSearch(o, createPrng(i)));
  while (searches.some((s) => !s.done)) await advanceTogether(searches, score);
  assert.ok(
    score.calls.filter((c) => c.model === "").length <= 41,
    "one scoring call per step for all of them",
  );
  assert.deepStrictEqual(searches.map((s) => s.result()), alone);
});

Deno.test("objectives: probability, log-probability and margin of one row", () => {
  const p = Float32Array.from([0.1, 0.6, 0.2, 0.1, 0, 0, 0, 0, 0, 0]);
  const row = new Float32Array(20);
  row.set(p, 10);
  assert.strictEqual(OBJECTIVES.probability.evaluate(row, 1, 1), Math.fround(0.6));
  assert.ok(Math.abs(OBJECTIVES.logprob.evaluate(row, 1, 1) - Math.log(0.6)) < 1e-7);
  assert.ok(Math.abs(OBJECTIVES.margin.evaluate(row, 1, 1) - Math.log(0.6 / 0.2)) < 1e-6);
  assert.ok(Math.abs(OBJECTIVES.margin.evaluate(row, 1, 2) - Math.log(0.2 / 0.6)) < 1e-6);
  // A zero probability is floored, not -Infinity.
  assert.ok(Number.isFinite(OBJECTIVES.logprob.evaluate(row, 1, 5)));
});

Deno.test("strategy parameters are checked when a search is created", () => {
  assert.throws(
    () => createSearch({ ...BASE, strategy: { name: "nes", candidates: 3 } }, createPrng(1)),
    { name: "RangeError", message: /invalid nes parameters .*candidates/ },
  );
  assert.throws(
    () => createSearch({ ...BASE, strategy: { name: "tabu" } }, createPrng(1)),
    { name: "UsageError", message: /Unknown strategy "tabu"; valid strategies: greedy, square/ },
  );
});

Deno.test("square sides halve in area on the schedule", () => {
  assert.deepStrictEqual([0, 9, 10, 49, 50, 200, 500].map((t) => squareSide(0.1, t)), [
    9,
    9,
    6,
    6,
    4,
    3,
    2,
  ]);
});

Deno.test("drawStroke() draws an anti-aliased line and erases it again", () => {
  const image = new Uint8Array(PIXELS);
  drawStroke(image, { points: [5, 10, 20, 10], width: 2, ink: 1, erase: false });
  // On the line: full ink; one pixel off its edge: nothing; in between: partial coverage.
  assert.strictEqual(image[10 * 28 + 12], 255);
  assert.strictEqual(image[11 * 28 + 12], 128);
  assert.strictEqual(image[12 * 28 + 12], 0);
  assert.strictEqual(image[10 * 28 + 25], 0);
  drawStroke(image, { points: [5, 10, 20, 10], width: 2, ink: 1, erase: true });
  assert.strictEqual(image[10 * 28 + 12], 0);
  assert.strictEqual(image[11 * 28 + 12], 64);
});

Deno.test("for elitist strategies logprob ranks as probability does: the same runs", async () => {
  for (const name of ["square", "stroke", "sketch", "es"]) {
    const run = (objective: "probability" | "logprob") =>
      runSearch(fakeScorer(), {
        ...BASE,
        objective,
        maxIterations: 60,
        strategy: { name },
        prng: createPrng(4),
      });
    assert.deepStrictEqual(await run("logprob"), await run("probability"), name);
  }
});

Deno.test("maxEvaluations ends a run once that many images were scored", async () => {
  const r = await runSearch(fakeScorer(), {
    ...BASE,
    target: 0.99,
    maxEvaluations: 100,
    strategy: { name: "sketch" },
    prng: createPrng(4),
  });
  // 1 base image + 8 per step: the step that passes 100 is the last.
  assert.deepStrictEqual([r.converged, r.iterations, r.evaluations], [false, 13, 105]);
});

Deno.test("sketch: the initial shares of the six kinds of stroke come from erase, continuity and rings", () => {
  const shares = initialShares(sketch.schema.parse({ name: "sketch" }));
  // curve, curve on ink, loop, loop on ink, erasing curve, erasing loop (erase 0.1,
  // continuity 0.2, rings 0.5).
  const expected = [0.36, 0.09, 0.36, 0.09, 0.05, 0.05];
  shares.forEach((s, k) => assert.ok(Math.abs(s - expected[k]) < 1e-12, `kind ${k}: ${s}`));
  const none = initialShares(sketch.schema.parse({ name: "sketch", erase: 0, rings: 0 }));
  assert.deepStrictEqual(none.map((s) => s > 0), [true, true, false, false, false, false]);
  // A kind with no share is never picked, wherever u falls.
  const picks = createKindShares(none, 0.8);
  const picked = new Set(Array.from({ length: 1000 }, (_, i) => picks.pick(i / 1000)));
  assert.deepStrictEqual([...picked].sort(), [0, 1]);
});

Deno.test("sketch: kinds that keep improving gain share, kinds that keep failing lose it", () => {
  const prior = [0.25, 0.25, 0.5];
  const shares = createKindShares(prior, 0.8);
  // pick() walks the shares: [0, 0.25) → 0, [0.25, 0.5) → 1, [0.5, 1) → 2.
  assert.deepStrictEqual([0, 0.3, 0.6, 0.999].map((u) => shares.pick(u)), [0, 1, 2, 2]);
  const step = () => {
    shares.record(0, true);
    shares.record(0, true);
    shares.record(2, false);
    shares.record(2, false);
    shares.endStep();
  };
  step();
  // Laplace's rule: (wins + 1) / (tries + 2); kind 1 was not tried: 1/2.
  assert.deepStrictEqual(shares.shares, [0.25 * 3 / 4, 0.25 / 2, 0.5 / 4]);
  step();
  // Older counts decay by 0.8: 2 × 0.8 + 2 = 3.6 tries (and wins) for kind 0.
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;
  assert.ok(close(shares.shares[0], 0.25 * 4.6 / 5.6));
  assert.ok(close(shares.shares[2], 0.5 * 1 / 5.6));
  assert.strictEqual(shares.shares[1], 0.25 / 2, "kind 1, never tried, stays at half its prior");
  assert.strictEqual(shares.pick(0.3), 0, "kind 0 now takes more than a quarter");
  // Decay 0: the shares stay as given.
  const fixed = createKindShares(prior, 0);
  fixed.record(2, false);
  fixed.endStep();
  assert.deepStrictEqual(fixed.shares, prior);
});
