/** Tests of the seed-set robustness estimate: exact seeded values, an exhaustive count, errors. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import {
  checkSeedSets,
  commonSeeds,
  estimateRobustness,
  parseSeedSets,
  type RobustnessRun,
  seedSetFigures,
} from "../experiments/robustness.ts";

const run = (digit: number, seed: number, evaluations: number, converged = true) => ({
  digit,
  seed,
  converged,
  evaluations,
});

// Digit 0 is always within a median of 100; digit 1 breaks it exactly when seed 4 is drawn
// (median of 10 and 500 = 255). Of the 6 pairs of seeds 1–4, 3 hold seed 4: p = 1/2.
const RUNS: RobustnessRun[] = [
  run(0, 1, 10),
  run(0, 2, 20),
  run(0, 3, 30),
  run(0, 4, 40),
  run(1, 1, 10),
  run(1, 2, 10),
  run(1, 3, 10),
  run(1, 4, 500),
];

Deno.test("seedSetFigures() gives each digit's median and p90, a failed run counting as ∞", () => {
  assert.deepStrictEqual(seedSetFigures(RUNS, [1, 4]), [
    { digit: 0, median: 25, p90: 37 },
    { digit: 1, median: 255, p90: 451 },
  ]);
  const failed = [run(0, 1, 10), run(0, 2, 0, false), run(0, 3, 0, false)];
  assert.deepStrictEqual(seedSetFigures(failed, [1, 2]), [
    { digit: 0, median: Infinity, p90: Infinity },
  ]);
  // Two failures: the median lies between two infinities (not NaN).
  assert.deepStrictEqual(seedSetFigures(failed, [2, 3]), [
    { digit: 0, median: Infinity, p90: Infinity },
  ]);
  assert.deepStrictEqual(seedSetFigures(failed, [1, 2, 3])[0].median, Infinity);
});

Deno.test("estimateRobustness() gives exact seeded counts for a small set of records", () => {
  const estimate = estimateRobustness(RUNS, {
    size: 2,
    sets: 40,
    limits: { median: 100 },
    prng: createPrng(7),
  });
  assert.deepStrictEqual(
    { ...estimate, wilsonLow: undefined, wilsonHigh: undefined },
    {
      digits: [0, 1],
      pool: 4,
      size: 2,
      sets: 40,
      within: 17,
      probability: 17 / 40,
      wilsonLow: undefined,
      wilsonHigh: undefined,
      overByDigit: [{ digit: 0, sets: 0 }, { digit: 1, sets: 23 }],
      worstMedian: [15, 255, 255],
    },
  );
  // The Wilson interval of 17 of 40, worked by hand: centre 0.4316, half-width 0.1465.
  assert.ok(Math.abs(estimate.wilsonLow - 0.2851) < 1e-4, `${estimate.wilsonLow}`);
  assert.ok(Math.abs(estimate.wilsonHigh - 0.5781) < 1e-4, `${estimate.wilsonHigh}`);
  // The same seed draws the same sets; another seed others.
  const again = estimateRobustness(RUNS, {
    size: 2,
    sets: 40,
    limits: { median: 100 },
    prng: createPrng(7),
  });
  assert.strictEqual(again.within, 17);
});

Deno.test("estimateRobustness() agrees with counting every seed set exhaustively", () => {
  // 3 digits × 8 seeds with assorted evaluations and two failures; sets of 3 (56 subsets).
  const prng = createPrng(11);
  const runs: RobustnessRun[] = [];
  for (let digit = 0; digit < 3; digit++) {
    for (let seed = 1; seed <= 8; seed++) {
      const failed = (digit === 2 && seed === 5) || (digit === 1 && seed === 8);
      runs.push(run(digit, seed, 10 + prng.nextInt(150), !failed));
    }
  }
  const limits = { median: 110, p90: 150 };
  let within = 0, subsets = 0;
  for (let a = 1; a <= 8; a++) {
    for (let b = a + 1; b <= 8; b++) {
      for (let c = b + 1; c <= 8; c++) {
        subsets++;
        const ok = [0, 1, 2].every((digit) => {
          const values = [a, b, c].map((s) => runs.find((r) => r.digit === digit && r.seed === s)!)
            .map((r) => (r.converged ? r.evaluations : Infinity)).sort((x, y) => x - y);
          // The median of three is the middle one; the p90 of three lies 80 % of the way
          // from the second to the third.
          const p90 = values[1] + 0.8 * (values[2] - values[1]);
          return values[1] <= limits.median && p90 <= limits.p90;
        });
        if (ok) within++;
      }
    }
  }
  const exact = within / subsets;
  assert.ok(exact > 0.1 && exact < 0.9, `the case must be neither trivial nor hopeless: ${exact}`);
  const estimate = estimateRobustness(runs, {
    size: 3,
    sets: 20000,
    limits,
    prng: createPrng(3),
  });
  // 20,000 draws: the standard error is at most 0.0036; 0.015 is four of them.
  assert.ok(
    Math.abs(estimate.probability - exact) < 0.015,
    `estimated ${estimate.probability}, exhaustive ${exact}`,
  );
  assert.ok(estimate.wilsonLow <= exact && exact <= estimate.wilsonHigh);
});

Deno.test("estimateRobustness() draws only seeds that every digit has, and says when too few", () => {
  const partial = [...RUNS.filter((r) => !(r.digit === 1 && r.seed === 4)), run(0, 9, 5)];
  assert.deepStrictEqual(commonSeeds(partial), [1, 2, 3]);
  const estimate = estimateRobustness(partial, {
    size: 2,
    sets: 30,
    limits: { median: 100 },
    prng: createPrng(1),
  });
  assert.strictEqual(estimate.pool, 3);
  assert.strictEqual(estimate.within, 30);
  assert.throws(
    () =>
      estimateRobustness(partial, { size: 4, sets: 1, limits: { median: 1 }, prng: createPrng(1) }),
    {
      name: "RangeError",
      message:
        "Cannot estimate robustness: sets of 4 seeds need at least 4 seeds that every digit has, found 3",
    },
  );
  assert.throws(() => commonSeeds([...RUNS, run(1, 2, 7)]), {
    name: "RangeError",
    message:
      "Cannot estimate robustness: digit 1 has two runs of seed 2 (give the records of one setting)",
  });
});

Deno.test("checkSeedSets() names each set's worst digits and whether it stays within the limits", () => {
  assert.deepStrictEqual(checkSeedSets(RUNS, [[1, 2], [3, 4]], { median: 100, p90: 1000 }), [
    {
      seeds: [1, 2],
      worstMedian: { digit: 0, value: 15 },
      worstP90: { digit: 0, value: 19 },
      within: true,
    },
    {
      seeds: [3, 4],
      worstMedian: { digit: 1, value: 255 },
      worstP90: { digit: 1, value: 451 },
      within: false,
    },
  ]);
  // The p90 limit alone can fail a set.
  assert.strictEqual(checkSeedSets(RUNS, [[1, 2]], { median: 100, p90: 18 })[0].within, false);
});

Deno.test("parseSeedSets() reads ranges and joined seeds, and names a bad part", () => {
  assert.deepStrictEqual(parseSeedSets("11-13, 101-102,5+7+9-10"), [
    [11, 12, 13],
    [101, 102],
    [5, 7, 9, 10],
  ]);
  assert.throws(() => parseSeedSets("11-20,x"), {
    name: "RangeError",
    message: 'Cannot read seed set "x": write a range like 11-20, or seeds joined by +',
  });
  assert.throws(() => parseSeedSets("20-11"), {
    message: 'Cannot read seed set "20-11": 11 is below 20',
  });
  assert.throws(() => parseSeedSets("1+1"), {
    message: 'Cannot read seed set "1+1": it repeats a seed',
  });
});
