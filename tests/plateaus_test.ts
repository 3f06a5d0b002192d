/** Local optimum or budget: each failed run's ending from its trajectory, whatever the patience. */

import assert from "node:assert/strict";
import {
  endingOf,
  flatStretches,
  type PlateauRecord,
  plateauRows,
} from "../experiments/analysis/plateaus.ts";
import { wilsonInterval } from "../experiments/analysis/statistics.ts";

/** A run whose best objective rises at the given steps (1-based) and is flat otherwise. */
function run(
  iterations: number,
  rises: number[],
  extra: Partial<PlateauRecord> = {},
): PlateauRecord {
  const trajectory: number[] = [];
  let best = 0.1, last = 0;
  for (let step = 1; step <= iterations; step++) {
    if (rises.includes(step)) [best, last] = [best + 0.01, step];
    trajectory.push(Math.round(best * 1e6) / 1e6);
  }
  return {
    converged: false,
    stuck: false,
    iterations,
    evaluations: 1 + iterations * 500,
    lastImprovement: last,
    initialConfidence: 0.1,
    trajectory,
    masks: 500,
    ...extra,
  };
}

Deno.test("flatStretches() measures the longest, the last and the escaped flat stretches", () => {
  // Rises at 1..10, flat 11..70 (60), rise at 71, flat 72..150 (79): ends in a local optimum.
  const r = run(150, [...Array.from({ length: 10 }, (_, i) => i + 1), 71]);
  assert.deepStrictEqual(flatStretches(r), { longest: 79, last: 79, escaped: 1 });
  assert.strictEqual(endingOf(r), "optimum");
  // Still rising at the end: out of budget, though it left a 60-step plateau.
  const rising = run(150, [5, 66, 100, 140, 149]);
  assert.deepStrictEqual(flatStretches(rising), { longest: 60, last: 1, escaped: 1 });
  assert.strictEqual(endingOf(rising), "budget");
  // Patience 30 stopped it after 30 flat steps: shorter than the window, so it cannot tell.
  const cut = run(40, [10], { stuck: true });
  assert.deepStrictEqual(flatStretches(cut), { longest: 30, last: 30, escaped: 0 });
  assert.strictEqual(endingOf(cut), "cut");
  assert.strictEqual(endingOf(cut, 30), "optimum");
  // Patience 50: stopped exactly at the window, a local optimum whatever the patience above it.
  assert.strictEqual(endingOf(run(60, [10], { stuck: true })), "optimum");
});

Deno.test("flatStretches() reads gains at the trajectory's 6 decimals, the last stretch from lastImprovement", () => {
  const r = run(80, [1]);
  // A gain of 4e-7 at step 20 rounds away in the trajectory; the record knows it happened.
  const lifted = { ...r, lastImprovement: 20 };
  assert.deepStrictEqual(flatStretches(lifted), { longest: 79, last: 60, escaped: 0 });
});

Deno.test("plateauRows() counts endings per network and setting, with the local optimum's Wilson interval", () => {
  const at = (network: string, setting: string, r: PlateauRecord) => ({ ...r, network, setting });
  const rows = plateauRows([
    at("cnn (96fd9080)", "gentle", run(150, [1, 20])), // optimum (130 flat)
    at("cnn (96fd9080)", "gentle", run(150, [1, 149])), // budget, rising; left 147 flat
    at("cnn (96fd9080)", "gentle", run(150, [1, 120])), // budget, not rising; left 118 flat
    at("cnn (96fd9080)", "gentle", { ...run(30, [1, 30]), converged: true }),
    at("cnn-s2", "gentle", run(60, [10], { stuck: true, masks: 50 })), // optimum
  ]);
  const [low, high] = wilsonInterval(1, 4);
  assert.deepStrictEqual(rows, [
    {
      network: "cnn (96fd9080)",
      setting: "gentle",
      runs: 4,
      converged: 1,
      optimum: 1,
      optimumLow: low,
      optimumHigh: high,
      budget: 2,
      rising: 1,
      cut: 0,
      escaped: 2,
      candidates: 500,
      longestMedian: 130,
      longestMax: 147,
    },
    {
      network: "cnn-s2",
      setting: "gentle",
      runs: 1,
      converged: 0,
      optimum: 1,
      optimumLow: wilsonInterval(1, 1)[0],
      optimumHigh: 1,
      budget: 0,
      rising: 0,
      cut: 0,
      escaped: 0,
      candidates: 50,
      longestMedian: 50,
      longestMax: 50,
    },
  ]);
});

Deno.test("flatStretches() counts a latent search from its first drawing, not from the base it never keeps", () => {
  // The base scored 0.5; the first drawing 0.2, then it rises at steps 2 and 3 and stays.
  const r: PlateauRecord = {
    converged: false,
    stuck: false,
    iterations: 60,
    evaluations: 961,
    lastImprovement: 3,
    initialConfidence: 0.5,
    trajectory: [0.2, 0.3, 0.4, ...Array(57).fill(0.4)],
    strategy: { name: "latent" },
  };
  assert.deepStrictEqual(flatStretches(r), { longest: 57, last: 57, escaped: 0 });
  // Read as a pixel search, the steps below the base's 0.5 would all be flat.
  const { strategy: _, ...pixels } = r;
  assert.deepStrictEqual(flatStretches(pixels), { longest: 60, last: 57, escaped: 0 });
});
