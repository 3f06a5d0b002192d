/** Tests of the sweep axes: cells, keys, seeds and names of strategies and objectives. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import {
  cellKey,
  cellSeed,
  expandCells,
  settingKey,
  settingLabel,
  sweepsNewAxes,
} from "../experiments/sweep/axes.ts";
import { deriveSeed } from "../common/prng.ts";

const MIXED = parseConfig({
  name: "mixed",
  digits: [3],
  seeds: [1, 2],
  masks: [50],
  strategy: [{ name: "greedy" }, { name: "stroke" }, { name: "stroke", candidates: 4 }],
  objective: ["probability", "margin"],
});

Deno.test("expandCells() crosses strategies × objectives; greedy keeps its masks and regimes", () => {
  const cells = expandCells(MIXED);
  assert.strictEqual(cells.length, 2 * 3 * 2);
  const ids = cells.map((c) => c.id);
  // A strategy's id carries a short hash of its parameters: edited parameters never reuse a name.
  assert.deepStrictEqual(
    ids.slice(0, 6).map((id) => id.replace(/stroke-[0-9a-f]{6}/, "stroke-H")),
    [
      "3-1-50-probability",
      "3-1-50-margin",
      "3-1-stroke-H-probability",
      "3-1-stroke-H-margin",
      "3-1-stroke-H-probability",
      "3-1-stroke-H-margin",
    ],
  );
  assert.strictEqual(new Set(ids).size, ids.length);
  // Defaults stay out of the cell: greedy and probability, as in records of old configs.
  assert.deepStrictEqual(cells[0], {
    digit: 3,
    seed: 1,
    masks: 50,
    perturbation: { density: 0.05, amplitude: 0.5 },
    id: "3-1-50-probability",
  });
  assert.deepStrictEqual(Object.keys(cells[3]), ["digit", "seed", "strategy", "objective", "id"]);
  assert.strictEqual(cells[3].objective, "margin");
  assert.strictEqual(cells[2].strategy?.name, "stroke");
});

Deno.test("cell keys of old configs are unchanged; seeds ignore the objective only", () => {
  const old = expandCells(parseConfig({ name: "old", digits: [7], seeds: [2], masks: [30] }))[0];
  assert.strictEqual(cellKey(old), "7|2|30|0.05|0.5");
  assert.strictEqual(old.id, "7-2-30");
  // The seed formula of the versions before strategies, pinned to its value.
  assert.strictEqual(cellSeed(old), deriveSeed("identikit/cell", 7, 2, 30, 0.05, 0.5));
  assert.strictEqual(cellSeed(old), 2711947866); // as computed by the code before strategies
  const cells = expandCells(MIXED);
  assert.strictEqual(new Set(cells.map(cellKey)).size, cells.length);
  // Objectives share random numbers (common random numbers), strategies do not.
  assert.strictEqual(cellSeed(cells[0]), cellSeed(cells[1]));
  assert.strictEqual(cellSeed(cells[2]), cellSeed(cells[3]));
  assert.notStrictEqual(cellSeed(cells[2]), cellSeed(cells[4]));
  assert.notStrictEqual(cellSeed(cells[0]), cellSeed(cells[2]));
  // A greedy cell with the default objective seeds as before strategies existed.
  const greedy = expandCells(parseConfig({ name: "g", digits: [3], seeds: [1], masks: [50] }))[0];
  assert.strictEqual(cellSeed(greedy), cellSeed(cells[0]));
});

Deno.test("settingKey() and settingLabel() name everything but digit and seed", () => {
  const cells = expandCells(MIXED);
  assert.strictEqual(settingKey(cells[0]), settingKey({ ...cells[0], digit: 9, seed: 7 }));
  assert.deepStrictEqual(cells.slice(0, 6).map((c) => settingLabel(c, MIXED)), [
    "greedy, 50 masks, probability",
    "greedy, 50 masks, margin",
    "stroke, 8 per step, candidates 8, probability",
    "stroke, 8 per step, candidates 8, margin",
    "stroke, 4 per step, candidates 4, probability",
    "stroke, 4 per step, candidates 4, margin",
  ]);
  const plain = parseConfig({ name: "p", masks: [50, 500] });
  assert.strictEqual(settingLabel(expandCells(plain)[1], plain), 500);
});

Deno.test("sweepsNewAxes() tells the seed's search alone from sweeps of strategies or objectives", () => {
  assert.strictEqual(sweepsNewAxes(parseConfig({ name: "a" })), false);
  assert.strictEqual(sweepsNewAxes(parseConfig({ name: "a", objective: "probability" })), false);
  assert.strictEqual(sweepsNewAxes(parseConfig({ name: "a", objective: "margin" })), true);
  assert.strictEqual(sweepsNewAxes(parseConfig({ name: "a", strategy: { name: "sketch" } })), true);
  assert.strictEqual(
    sweepsNewAxes(parseConfig({ name: "a", strategy: { name: "greedy", objective: "logprob" } })),
    true,
  );
  // Greedy pinned to an objective draws the masks of plain greedy.
  const pinned = parseConfig({
    name: "p",
    digits: [3],
    seeds: [1],
    masks: [50],
    strategy: {
      name: "greedy",
      objective: "margin",
    },
  });
  const plain = parseConfig({ name: "q", digits: [3], seeds: [1], masks: [50] });
  assert.strictEqual(cellSeed(expandCells(pinned)[0]), cellSeed(expandCells(plain)[0]));
  assert.strictEqual(expandCells(pinned)[0].id, "3-1-greedy-50-margin");
});
