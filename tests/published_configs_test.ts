/** Tests that the README's figures name configs that exist and run the searches they claim. */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { readConfig, searchHash } from "../experiments/sweep/config.ts";
import { cellKey, cellSeed, expandCells } from "../experiments/sweep/axes.ts";

Deno.test("every configs/*.json the README and docs/ name is in configs/", async () => {
  const pages = [...Deno.readDirSync(`${PROJECT_ROOT}/docs`)].filter((e) => e.name.endsWith(".md"));
  const readme = [
    await Deno.readTextFile(`${PROJECT_ROOT}/README.md`),
    ...pages.map((e) => Deno.readTextFileSync(`${PROJECT_ROOT}/docs/${e.name}`)),
  ].join("\n");
  const named = [
    ...new Set([...readme.matchAll(/configs\/([A-Za-z0-9._-]+\.json)/g)].map((m) => m[1])),
  ];
  assert.ok(named.length >= 8, `${named}`);
  for (const file of named) {
    assert.ok(
      await Deno.stat(`${PROJECT_ROOT}/configs/${file}`).then((s) => s.isFile, () => false),
      `the docs name configs/${file}, which does not exist`,
    );
  }
});

/** Whether `extra`'s cells of `strategy` are `base`'s cells with the same seeds and search. */
async function sameSearch(
  base: string,
  extra: string,
  strategy: string,
  { judges = false }: { judges?: boolean } = {},
): Promise<number> {
  const a = await readConfig(`${PROJECT_ROOT}/configs/${base}`);
  const b = await readConfig(`${PROJECT_ROOT}/configs/${extra}`);
  // Judges join the search hash (records carry verdicts) but never change a run: `judges`
  // compares the searches without them.
  const search = (c: typeof a) => searchHash(judges ? { ...c, judges: undefined } : c, "m");
  assert.strictEqual(await search(b), await search(a), `${extra} vs ${base}`);
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

Deno.test("configs that extend a published one run its search: same search hash, cells and cell seeds", async () => {
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
  // recognisable-sketch.json: recognisable.json's 500 sketch cells.
  assert.strictEqual(
    await sameSearch("recognisable.json", "recognisable-sketch.json", "sketch"),
    500,
  );
  // all-digits-judged.json: all-digits.json's 100 runs, judged.
  assert.strictEqual(
    await sameSearch("all-digits.json", "all-digits-judged.json", "greedy", { judges: true }),
    100,
  );
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
