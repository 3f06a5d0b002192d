/** Tests of the statistics: Wilson intervals, quantiles, grouping. */

import assert from "node:assert/strict";
import { quantile, summarize, wilsonInterval } from "../experiments/analysis/statistics.ts";

const close = (a: number, b: number, tol = 1e-4) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("wilsonInterval() matches published values", () => {
  // 5/10 at 95 %: [0.2366, 0.7634]; 0/10: [0, 0.2775]; 10/10: [0.7225, 1] (Wilson 1927; Newcombe 1998).
  const [a, b] = wilsonInterval(5, 10);
  close(a, 0.2366);
  close(b, 0.7634);
  const [c, d] = wilsonInterval(0, 10);
  assert.strictEqual(c, 0);
  close(d, 0.2775);
  const [e, f] = wilsonInterval(10, 10);
  close(e, 0.7225);
  close(f, 1);
  assert.deepStrictEqual(wilsonInterval(0, 0), [0, 1]);
});

Deno.test("quantile() interpolates like numpy's default", () => {
  assert.strictEqual(quantile([1, 2, 3, 4], 0.5), 2.5);
  close(quantile([10, 20, 30, 40, 50], 0.1), 14);
  close(quantile([10, 20, 30, 40, 50], 0.9), 46);
  assert.throws(() => quantile([], 0.5), { name: "RangeError" });
});

Deno.test("summarize() groups by digit × masks, with statistics over converged runs only", () => {
  const run = (digit: number, masks: number, converged: boolean, iterations: number) => ({
    digit,
    masks,
    converged,
    stuck: !converged,
    iterations,
    evaluations: 1 + iterations * masks,
    finalConfidence: converged ? 0.995 : 0.8,
    wallMs: 100,
  });
  const summary = summarize([
    run(9, 500, true, 40),
    run(9, 500, false, 300),
    run(9, 500, true, 60),
    run(7, 500, false, 200),
  ]);
  assert.deepStrictEqual(summary.groups.map((g) => [g.digit, g.runs, g.converged, g.stuck]), [[
    7,
    1,
    0,
    1,
  ], [9, 3, 2, 1]]);
  const nine = summary.groups[1];
  assert.strictEqual(nine.iterationsMedian, 50);
  assert.strictEqual(nine.evaluationsMedian, 25001);
  close(nine.successRate, 2 / 3);
  assert.strictEqual(summary.groups[0].iterationsMedian, null);
  assert.strictEqual(summary.totalEvaluations, 20001 + 150001 + 30001 + 100001);
  close(summary.evaluationsPerSecond, 300004 / 0.4, 1e-6);
});
