/** sweepPlan(): a sweep's cells, those done, and the most queries the rest can take. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import { sweepPlan } from "../experiments/sweep/plan.ts";
import { cellKey, expandCells } from "../experiments/sweep/axes.ts";

Deno.test("sweepPlan() counts queries per step with shifted copies, and caps steps by candidates, not copies", () => {
  const config = parseConfig({
    name: "plan",
    digits: [3],
    seeds: 2,
    maxIterations: 500,
    maxEvaluations: 41,
    strategy: { name: "square", candidates: 4 },
    objective: { name: "logprob", jitter: 1 },
  });
  const plan = sweepPlan(config);
  assert.strictEqual(plan.cells, 2);
  assert.strictEqual(plan.settings.length, 1);
  const [s] = plan.settings;
  // jitter 1: each image and its 4 one-pixel shifts, so the base alone is 5 queries.
  assert.strictEqual(s.firstQueries, 5);
  assert.strictEqual(s.stepQueries, 20);
  // 41 evaluations: the base and ten steps of 4 candidates; 5 + 10 × 20 queries a cell.
  assert.strictEqual(s.maxQueries, 2 * 205);
  // A cell already done leaves the other's.
  const done = new Set([cellKey(expandCells(config)[0])]);
  assert.deepStrictEqual(
    [sweepPlan(config, { doneKeys: done }).done, sweepPlan(config, { doneKeys: done }).maxQueries],
    [1, 205],
  );
});

Deno.test("sweepPlan() of an ensemble counts every model's query; a shard plans its own cells", () => {
  const config = parseConfig({
    name: "plan",
    seeds: 3,
    masks: [50],
    maxIterations: 10,
    objective: { name: "probability", models: ["cnn", "mlp"] },
  });
  const plan = sweepPlan(config);
  assert.strictEqual(plan.cells, 30);
  assert.strictEqual(plan.settings[0].stepQueries, 100);
  assert.strictEqual(plan.maxQueries, 30 * (2 + 10 * 100));
  const halves = [1, 2].map((i) => sweepPlan(config, { shard: { index: i - 1, count: 2 } }).cells);
  assert.strictEqual(halves[0] + halves[1], 30);
  assert.ok(halves[0] > 0 && halves[1] > 0);
});
