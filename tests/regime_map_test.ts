/** The regime map: its cells from summary groups, and the regimes where 7 and 9 are hardest. */

import assert from "node:assert/strict";
import { hardestSevenNine, mapCells, regimeMapSpec } from "../experiments/regime_map.ts";
import { renderSvg } from "../experiments/plots.ts";
import type { GroupSummary } from "../experiments/statistics.ts";

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
});
