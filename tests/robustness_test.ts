/** Tests of the seed-set robustness estimate: exact seeded values, an exhaustive count, errors. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";
import { runTask } from "./_task.ts";
import {
  checkSeedSets,
  commonSeeds,
  estimateRobustness,
  parseSeedSets,
  type RobustnessRun,
  seedSetFigures,
} from "../experiments/analysis/robustness.ts";

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

Deno.test("estimateRobustness() adds a bootstrap interval over resampled pools of seeds", () => {
  const options = { size: 2, sets: 40, limits: { median: 100 }, prng: createPrng(7) };
  const e = estimateRobustness(RUNS, { ...options, poolResamples: 20 });
  // The main estimate is drawn first: the resamples leave it as it was.
  assert.strictEqual(e.within, 17);
  // A pool of 4 seeds resampled 20 times: with seed 4 drawn often, few sets stay within; without
  // it, all do. The 2.5 % quantile interpolates between the two lowest of the 20 estimates.
  assert.deepStrictEqual(e.poolInterval, [0.023750000000000004, 1]);
  assert.strictEqual(estimateRobustness(RUNS, options).poolInterval, undefined);
  // Every seed within the limits: every resampled pool too.
  const easy = RUNS.filter((r) => r.seed !== 4);
  assert.deepStrictEqual(
    estimateRobustness(easy, { ...options, prng: createPrng(1), poolResamples: 10 }).poolInterval,
    [1, 1],
  );
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

Deno.test("deno task robustness prints the module's estimate for a results folder, with its own permissions", async () => {
  const dir = await scratch("robustness-cli");
  const config = parseConfig({
    name: "rob",
    digits: [3, 7],
    seeds: 12,
    masks: [20],
    target: 0.5,
    maxIterations: 60,
  });
  const { records } = await runExperiment(config, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "abcdef0123456789",
  });
  const relative = dir.slice(PROJECT_ROOT.length + 1);
  const out = await runTask("robustness", "cli/robustness.ts", [
    relative,
    "--size",
    "3,5",
    "--sets",
    "500",
    "--seed",
    "4",
    "--limit-median",
    "700",
    "--limit-p90",
    "760",
  ]);
  assert.strictEqual(out.code, 0, out.stderr);
  for (const size of [3, 5]) {
    const e = estimateRobustness(records, {
      size,
      sets: 500,
      limits: { median: 700, p90: 760 },
      prng: createPrng(4),
      poolResamples: 100,
    });
    assert.ok(e.within > 0 && e.within < 500, `size ${size}: ${e.within} of 500 is not a test`);
    assert.ok(
      out.stdout.includes(
        `| ${size} | 12 | 500 | ${e.within} | ${e.probability.toFixed(3)} (${
          e.wilsonLow.toFixed(3)
        }–${e.wilsonHigh.toFixed(3)}) | ${e.poolInterval!.map((p) => p.toFixed(3)).join("–")} |`,
      ),
      out.stdout,
    );
  }
  assert.match(out.stdout, /model cnn \(ONNX sha256 abcdef01…\), target 0\.5/);
  assert.match(out.stdout, /### 20 masks/);

  // Given seed sets: each set's worst digits, as checkSeedSets() finds them.
  const sets = await runTask("robustness", "cli/robustness.ts", [
    relative,
    "--seed-sets",
    "1-3,4+6+9",
    "--limit-median",
    "700",
  ]);
  assert.strictEqual(sets.code, 0, sets.stderr);
  for (const check of checkSeedSets(records, [[1, 2, 3], [4, 6, 9]], { median: 700 })) {
    assert.ok(
      sets.stdout.includes(
        ` | ${check.worstMedian.value} (${check.worstMedian.digit}) | ${check.worstP90.value} (${check.worstP90.digit}) | ${
          check.within ? "yes" : "no"
        } |`,
      ),
      sets.stdout,
    );
  }

  // Bad input exits 2 before printing anything, saying what to change.
  const cases: [string[], RegExp][] = [
    [[relative], /No default limits for target 0\.5: pass --limit-median M/],
    [
      [relative, "--limit-median", "700", "--size", "13"],
      /need at least 13 seeds that every digit has, found 12/,
    ],
    [[relative, "--limit-median", "700", "--seed-sets", "1-3,13"], /digit 3 has no run of seed 13/],
    [
      [relative, "--limit-median", "700", "--seed-sets", "x"],
      /--seed-sets: Cannot read seed set "x"/,
    ],
    [["tests/tmp/no-such-folder"], /is not an identikit results folder: it has no config.json/],
    [
      [relative, "--limit-median", "700", "--limit-p90", "50"],
      /--limit-p90 50 is below the median's limit 700: a p90 is never below its median/,
    ],
  ];
  for (const [args, message] of cases) {
    const bad = await runTask("robustness", "cli/robustness.ts", args);
    assert.strictEqual(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
    assert.match(bad.stderr, message);
    assert.strictEqual(bad.stdout, "", args.join(" "));
  }
  const help = await runTask("robustness", "cli/robustness.ts", ["--help"]);
  assert.strictEqual(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task robustness results\/<name>/);
});
