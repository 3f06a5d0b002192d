/** Tests of the sweep axes: cells, keys, seeds and names of strategies and objectives. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/config.ts";
import { cellKey, cellSeed, expandCells, settingKey, settingLabel } from "../experiments/axes.ts";

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
  // Stroke appears twice with other parameters: its name gets a short hash of them.
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
  assert.deepStrictEqual(cells.slice(0, 4).map((c) => settingLabel(c, MIXED)), [
    "greedy, 50 masks, probability",
    "greedy, 50 masks, margin",
    "stroke, 8 per step, probability",
    "stroke, 8 per step, margin",
  ]);
  const plain = parseConfig({ name: "p", masks: [50, 500] });
  assert.strictEqual(settingLabel(expandCells(plain)[1], plain), 500);
});
