/** The failed runs per digit: how they ended, the rival that holds them back, their pictures. */

import assert from "node:assert/strict";
import {
  recentGain,
  rivalOf,
  type StallRecord,
  stallRows,
} from "../experiments/analysis/stalls.ts";
import { stallTable } from "../experiments/report/tables.ts";

/** A run of `digit` that ends with `p` on the target and `rivalP` on `rival` (the rest spread). */
function run(
  digit: number,
  seed: number,
  end: { converged?: boolean; stuck?: boolean; p: number; rival: number; rivalP: number },
  trajectory: number[],
): StallRecord {
  const rest = (1 - end.p - end.rivalP) / 8;
  const probabilities = Array.from(
    { length: 10 },
    (_, k) => (k === digit ? end.p : k === end.rival ? end.rivalP : rest),
  );
  return {
    cell: `${digit}-${seed}-500`,
    image: `images/${digit}-${seed}-500.png`,
    digit,
    seed,
    converged: end.converged ?? false,
    stuck: end.stuck ?? false,
    iterations: trajectory.length,
    initialConfidence: 0.1,
    finalConfidence: end.p,
    finalProbabilities: probabilities,
    trajectory,
  };
}

const rising = Array.from({ length: 30 }, (_, i) => 0.5 + i * 0.01); // +0.10 over the last 10
const flat = [...Array.from({ length: 10 }, (_, i) => 0.5 + i * 0.04), ...Array(20).fill(0.86)];

Deno.test("rivalOf() takes the most likely other digit; recentGain() the last 10 iterations' gain", () => {
  assert.deepStrictEqual(
    rivalOf({ digit: 7, finalProbabilities: [0, 0, 0.3, 0, 0, 0, 0, 0.4, 0, 0.3] }),
    { digit: 2, p: 0.3 }, // a tie goes to the smaller digit
  );
  const gain = (trajectory: number[]) =>
    Math.round(recentGain({ trajectory, initialConfidence: 0.1 }) * 1e6) / 1e6;
  assert.strictEqual(gain(rising), 0.1);
  assert.strictEqual(gain(flat), 0);
  assert.strictEqual(gain([]), 0);
  // Ten steps or fewer: the gain since the starting image (0.1).
  assert.strictEqual(gain([0.4]), 0.3);
  assert.strictEqual(gain([0.4, 0.5, 0.7]), 0.6);
  // Eleven steps: since the first step's best (the step before the last ten).
  assert.strictEqual(gain([0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9]), 0.5);
});

Deno.test("stallRows(): per digit with failures, how they ended, rivals most common first", () => {
  const records = [
    run(7, 1, { p: 0.79, rival: 2, rivalP: 0.15 }, rising),
    run(7, 2, { p: 0.86, rival: 9, rivalP: 0.1, stuck: true }, flat),
    run(7, 3, { p: 0.6, rival: 2, rivalP: 0.3 }, rising),
    run(7, 4, { p: 0.995, rival: 2, rivalP: 0.001, converged: true }, rising),
    run(3, 1, { p: 0.995, rival: 5, rivalP: 0.001, converged: true }, rising),
  ];
  const rows = stallRows(records);
  assert.deepStrictEqual(rows.map((r) => r.digit), [7], "3 never failed");
  const [seven] = rows;
  assert.deepStrictEqual(
    { ...seven, medianRecentGain: +seven.medianRecentGain.toFixed(6) },
    {
      digit: 7,
      runs: 4,
      failed: 3,
      stuck: 1,
      atLimit: 2,
      rising: 2,
      medianRecentGain: 0.1,
      rivals: [{ digit: 2, count: 2 }, { digit: 9, count: 1 }],
      medianTarget: 0.79,
      medianRival: 0.15,
      // 0.15 / 0.21, 0.1 / 0.14, 0.3 / 0.4: the middle one.
      medianRivalShare: 0.15 / (1 - 0.79),
      // The most common rival's runs first (by seed), then the other's.
      pictured: ["images/7-1-500.png", "images/7-3-500.png", "images/7-2-500.png"],
    },
  );
  assert.deepStrictEqual(stallRows(records, 2)[0].pictured, [
    "images/7-1-500.png",
    "images/7-3-500.png",
  ]);
  assert.deepStrictEqual(stallRows(records.filter((r) => r.converged)), []);
});

Deno.test("stallTable(): one line per digit, then the picture", () => {
  const rows = stallRows([
    run(9, 1, { p: 0.6, rival: 4, rivalP: 0.3 }, rising),
    run(9, 2, { p: 0.995, rival: 4, rivalP: 0.001, converged: true }, rising),
  ]);
  const table = stallTable(rows, 0.99);
  assert.strictEqual(
    table[2],
    "| 9 | 1 / 2 | 0 | 1 (1) | 0.100 | 0.600 / 0.300 | 75 % | 4 ×1 |",
  );
  assert.ok(
    table.includes(
      "![the failed runs' final images: a row per digit above, grouped by rival](stalls.png)",
    ),
  );
});
