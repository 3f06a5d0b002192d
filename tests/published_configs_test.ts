/** Tests that the README's figures name configs that exist and run the searches they claim. */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { readConfig, searchHash } from "../experiments/config.ts";
import { cellKey, cellSeed, expandCells } from "../experiments/axes.ts";

Deno.test("every configs/*.json the README names is in configs/", async () => {
  const readme = await Deno.readTextFile(`${PROJECT_ROOT}/README.md`);
  const named = [
    ...new Set([...readme.matchAll(/configs\/([A-Za-z0-9._-]+\.json)/g)].map((m) => m[1])),
  ];
  assert.ok(named.length >= 8, `${named}`);
  for (const file of named) {
    assert.ok(
      await Deno.stat(`${PROJECT_ROOT}/configs/${file}`).then((s) => s.isFile, () => false),
      `README names configs/${file}, which does not exist`,
    );
  }
});

/** Whether `extra`'s cells of `strategy` are `base`'s cells with the same seeds and search. */
async function sameSearch(base: string, extra: string, strategy: string): Promise<number> {
  const a = await readConfig(`${PROJECT_ROOT}/configs/${base}`);
  const b = await readConfig(`${PROJECT_ROOT}/configs/${extra}`);
  assert.strictEqual(await searchHash(b, "m"), await searchHash(a, "m"), `${extra} vs ${base}`);
  const ofStrategy = (c: typeof a) =>
    new Map(
      expandCells(c).filter((cell) => (cell.strategy?.name ?? "greedy") === strategy)
        .map((cell) => [cellKey(cell), cellSeed(cell)]),
    );
  const cellsA = ofStrategy(a), cellsB = ofStrategy(b);
  let shared = 0;
  for (const [key, seed] of cellsB) {
    if (cellsA.has(key)) {
      assert.strictEqual(seed, cellsA.get(key), key);
      shared++;
    }
  }
  // Every cell of `extra` is a cell `base` would run with those seeds: same coordinates.
  const seedsB = new Set(b.seeds);
  const widened = { ...a, seeds: [...new Set([...a.seeds, ...seedsB])] };
  const cellsWide = ofStrategy(widened);
  for (const key of cellsB.keys()) assert.ok(cellsWide.has(key), `${extra}: ${key}`);
  return shared;
}

Deno.test("the robustness and seed-set configs run strategies.json's sketch; identikit-heldout runs identikit.json", async () => {
  // Seeds 1–10 of robustness.json are strategies.json's own sketch cells (10 digits × 10 seeds).
  assert.strictEqual(await sameSearch("strategies.json", "robustness.json", "sketch"), 100);
  assert.strictEqual(
    await sameSearch("strategies-0.9999.json", "robustness-0.9999.json", "sketch"),
    100,
  );
  assert.strictEqual(await sameSearch("strategies.json", "seed-sets.json", "sketch"), 0);
  assert.strictEqual(
    await sameSearch("strategies-0.9999.json", "seed-sets-0.9999.json", "sketch"),
    0,
  );
  assert.strictEqual(await sameSearch("identikit.json", "identikit-heldout.json", "latent"), 0);
  const sets = await readConfig(`${PROJECT_ROOT}/configs/seed-sets.json`);
  assert.deepStrictEqual(
    sets.seeds,
    [11, 101, 201, 301, 401, 501, 601, 701].flatMap((a) =>
      Array.from({ length: 10 }, (_, i) => a + i)
    ),
  );
  const heldout = await readConfig(`${PROJECT_ROOT}/configs/identikit-heldout.json`);
  assert.deepStrictEqual(heldout.seeds, Array.from({ length: 20 }, (_, i) => 21 + i));
});
