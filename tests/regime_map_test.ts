/** The regime map: its cells from summary groups, and the regimes where 7 and 9 are hardest. */

import assert from "node:assert/strict";
import { budgetTable } from "../experiments/report/tables.ts";
import { closestBudgets, hardestSevenNine, mapCells } from "../experiments/analysis/regime_map.ts";
import { regimeMapSpec } from "../experiments/report/plots.ts";
import { renderSvg } from "../experiments/report/plots.ts";
import type { GroupSummary } from "../experiments/analysis/statistics.ts";

function group(digit: number, converged: number, extra: Partial<GroupSummary> = {}): GroupSummary {
  return {
    digit,
    runs: 10,
    converged,
    successRate: converged / 10,
    wilsonLow: 0,
    wilsonHigh: 1,
    stuck: 10 - converged,
    iterationsMedian: null,
    iterationsP10: null,
    iterationsP90: null,
    evaluationsMedian: null,
    evaluationsP10: null,
    evaluationsP90: null,
    finalConfidenceMedian: 0.9,
    masks: 500,
    perturbation: { density: 0.05, amplitude: 0.5 },
    ...extra,
  } as GroupSummary;
}

Deno.test("mapCells() names each group's model and regime; hardestSevenNine() finds where 7 and 9 trail", async () => {
  const gentle = { perturbation: { density: 0.01, amplitude: 0.1, family: "gaussian" as const } };
  const tutorial = {
    objective: {
      name: "probability" as const,
      models: ["cnn-tutorial"],
      combine: "min" as const,
      jitter: 0,
      tv: 0,
      ink: 0,
    },
  };
  const groups = [
    // Default regime on the config's model: 7 and 9 converge like the rest.
    ...[0, 1, 7, 9].map((d) => group(d, 10)),
    // A gentle gaussian regime on cnn-tutorial: 7 (5/10) and 9 (3/10) trail 0 and 1.
    group(0, 9, { ...gentle, ...tutorial }),
    group(1, 8, { ...gentle, ...tutorial }),
    group(7, 5, { ...gentle, ...tutorial }),
    group(9, 3, { ...gentle, ...tutorial }),
  ];
  const cells = mapCells(groups, "cnn");
  assert.deepStrictEqual(
    [...new Set(cells.map((c) => `${c.model}: ${c.regime}`))],
    ["cnn: 5 % / ±0.5, 500 masks", "cnn-tutorial: gaussian 1 % / ±0.1, 500 masks"],
  );
  assert.strictEqual(
    cells.find((c) => c.model === "cnn-tutorial" && c.digit === 9)!.stuckRate,
    0.7,
  );
  assert.deepStrictEqual(hardestSevenNine(cells), [
    "| model | regime | 7 | 9 | hardest other digit |",
    "| --- | --- | ---: | ---: | ---: |",
    "| cnn-tutorial | gaussian 1 % / ±0.1, 500 masks | 50 % | 30 % | 80 % |",
  ]);
  assert.deepStrictEqual(hardestSevenNine(cells.filter((c) => c.model === "cnn")), [
    "In no regime are 7 and 9 the two hardest digits.",
  ]);
  // Two objectives on one model and regime are two rows, not one.
  const margin = { objective: "margin" as const };
  const rows = mapCells(
    [group(7, 2, margin), group(7, 9), group(1, 10, margin), group(1, 10)],
    "cnn",
  );
  assert.deepStrictEqual(
    [...new Set(rows.map((c) => c.regime))],
    ["5 % / ±0.5, 500 masks, margin", "5 % / ±0.5, 500 masks"],
  );
  const svg = await renderSvg(regimeMapSpec(cells));
  assert.match(svg, /^<svg/);
  assert.match(svg, /cnn-tutorial/);
  assert.match(svg, /the seed \(reported\)/);
  // Long row labels keep their mask count (the axis would cut them at 180 px by default).
  const long = mapCells([
    group(7, 9, {
      perturbation: { density: 0.05, amplitude: 0.25, family: "gaussian", clip: false },
      objective: "margin",
    }),
  ], "cnn");
  assert.match(
    await renderSvg(regimeMapSpec(long)),
    />gaussian 5 % \/ ±0\.25, unclipped, 500 masks, margin</,
  );
});

Deno.test("closestBudgets() reads every budget off the same runs and finds the one nearest the seed's 7 and 9", () => {
  const runs = (setting: string, digit: number, iterations: (number | null)[]) =>
    iterations.map((i) => ({ setting, digit, converged: i !== null, iterations: i ?? 100 }));
  const matches = closestBudgets([
    // B: 7 and 9 always converge at once, 0 never: nowhere near the seed.
    ...runs("B", 7, Array(10).fill(1)),
    ...runs("B", 9, Array(10).fill(1)),
    ...runs("B", 0, Array(10).fill(null)),
    // A: 7 reaches the target at 10, 20, …, 100 iterations; 9 three times (30, 60, 90); 1 at 5.
    ...runs("A", 7, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]),
    ...runs("A", 9, [30, 60, 90, null, null, null, null, null, null, null]),
    ...runs("A", 1, Array(10).fill(5)),
    // 3 reaches it at 80: after the chosen budget, so it counts as failed there.
    ...runs("A", 3, Array(10).fill(80)),
    // C has no 9: skipped.
    ...runs("C", 7, [1]),
    ...runs("C", 1, [1]),
    ...runs("C", 2, [1]),
  ], 100);
  const rounded = matches.map((m) => ({ ...m, distance: +m.distance.toFixed(9) }));
  assert.deepStrictEqual(rounded, [
    // At 50 iterations 7 is at 50 % and 9 at 10 % (|0| + |−0.2|); 60 is as near but later.
    {
      setting: "A",
      budget: 50,
      seven: 0.5,
      nine: 0.1,
      lowest: 0,
      lowestDigit: 3,
      median: 0.5,
      distance: 0.2,
    },
    {
      setting: "B",
      budget: 1,
      seven: 1,
      nine: 1,
      lowest: 0,
      lowestDigit: 0,
      median: 0,
      distance: 1.2,
    },
  ]);
  assert.deepStrictEqual(budgetTable(matches, 1).slice(2), [
    "| A | 50 | 50 % | 10 % | 0 % (digit 3) | 50 % |",
  ]);
});
