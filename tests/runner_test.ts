/** Tests of the sweep runner: cells, seeds, records, resume, repair, regimes. */

import assert from "node:assert/strict";
import { searchChanges } from "../experiments/store/folder.ts";
import { UsageError } from "../common/errors.ts";
import { parseConfig, type ResolvedConfig } from "../experiments/sweep/config.ts";
import { cellKey, cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { imageFile, type RunRecord } from "../experiments/store/records.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { shardCells } from "../experiments/sweep/shards.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { comparable, scratch } from "./_helpers.ts";

const CONFIG: ResolvedConfig = parseConfig({
  name: "unit",
  digits: [1, 7],
  seeds: 2,
  masks: [10, 30],
  target: 0.6,
  maxIterations: 60,
  patience: 20,
});

Deno.test("expandCells() crosses digits × seeds × masks in a fixed order; shards partition it", () => {
  const cells = expandCells(CONFIG);
  assert.deepStrictEqual(cells.map((c) => c.id), [
    "1-1-10",
    "1-1-30",
    "1-2-10",
    "1-2-30",
    "7-1-10",
    "7-1-30",
    "7-2-10",
    "7-2-30",
  ]);
  const shards = [0, 1, 2].map((index) => shardCells(cells, { index, count: 3 }).map((c) => c.id));
  assert.deepStrictEqual(shards.flat().sort(), cells.map((c) => c.id).sort());
  // Shards come from each cell's key (its place in the sweep does not matter).
  assert.deepStrictEqual(shards, [
    ["1-2-30", "7-1-30", "7-2-10"],
    ["1-2-10", "7-1-10", "7-2-30"],
    ["1-1-10", "1-1-30"],
  ]);
});

Deno.test("cellSeed() depends on the cell's own coordinates only", () => {
  const seeds = expandCells(CONFIG).map(cellSeed);
  assert.strictEqual(new Set(seeds).size, seeds.length);
  const other = parseConfig({ name: "other", digits: [7, 3], seeds: [2, 9], masks: [30] });
  const shared = expandCells(other).find((c) => c.id === "7-2-30")!;
  assert.strictEqual(
    cellSeed(shared),
    cellSeed(expandCells(CONFIG).find((c) => c.id === "7-2-30")!),
  );
});

Deno.test("runExperiment() writes one complete record and one PNG per cell", async () => {
  const dir = await scratch("runner-basic");
  const outcome = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.strictEqual(outcome.ran, 8);
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  assert.strictEqual(records.length, 8);
  for (const r of records) {
    for (
      const key of [
        "digit",
        "seed",
        "masks",
        "converged",
        "stuck",
        "iterations",
        "evaluations",
        "finalConfidence",
        "trajectory",
        "image",
        "wallMs",
      ]
    ) {
      assert.ok(key in r, `record lacks ${key}`);
    }
    assert.match(
      r.image,
      new RegExp(`^images/${r.digit}-${r.seed}-${r.masks}-[0-9a-f]{12}\\.png$`),
    );
    assert.strictEqual(r.image, await imageFile(r.cell, r, r.searchHash));
    const png = decodeGreyPng(await Deno.readFile(`${dir}/${r.image}`));
    assert.deepStrictEqual([png.width, png.height], [28, 28]);
    // The PNG is exactly what was scored: re-scoring it gives the record's confidence.
    const pixels = Float32Array.from(png.levels, (v) => v / 255);
    const probs = await fakeScorer()(pixels, 1);
    assert.strictEqual(probs[r.digit], Math.fround(r.finalConfidence));
  }
  const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.match(config.hash, /^[0-9a-f]{64}$/);
  assert.deepStrictEqual(config.seeds, [1, 2]);
});

Deno.test("runExperiment() is deterministic and independent of cell order and batching", async () => {
  const a = await runExperiment(CONFIG, {
    resultsDir: await scratch("runner-a"),
    score: fakeScorer(),
    modelSha256: "m",
  });
  const b = await runExperiment(CONFIG, {
    resultsDir: await scratch("runner-b"),
    score: fakeScorer(),
    modelSha256: "m",
    parallel: 3,
  });
  const reversed = { ...CONFIG, digits: [7, 1], seeds: [2, 1], masks: [30, 10] };
  const c = await runExperiment(reversed, {
    resultsDir: await scratch("runner-c"),
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual(comparable(b.records), comparable(a.records));
  assert.deepStrictEqual(comparable(c.records), comparable(a.records));
});

Deno.test("a second run resumes: finished cells are skipped, nothing is scored", async () => {
  const dir = await scratch("runner-resume");
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const scorer = fakeScorer();
  const again = await runExperiment(CONFIG, { resultsDir: dir, score: scorer, modelSha256: "m" });
  assert.deepStrictEqual({ ran: again.ran, skipped: again.skipped, calls: scorer.calls.length }, {
    ran: 0,
    skipped: 8,
    calls: 0,
  });
  // Extending the sweep runs only the new cells.
  const more = await runExperiment({ ...CONFIG, seeds: [1, 2, 3] }, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual({ ran: more.ran, skipped: more.skipped, records: more.records.length }, {
    ran: 4,
    skipped: 8,
    records: 12,
  });
});

Deno.test("a torn last line is cut off and its cell runs again; the result equals a clean run", async () => {
  const clean = await runExperiment(CONFIG, {
    resultsDir: await scratch("runner-clean"),
    score: fakeScorer(),
    modelSha256: "m",
  });
  const dir = await scratch("runner-torn");
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const text = await Deno.readTextFile(`${dir}/runs.jsonl`);
  const lines = text.split("\n");
  // Keep three whole records and half of the fourth, as a kill mid-write would.
  await Deno.writeTextFile(
    `${dir}/runs.jsonl`,
    lines.slice(0, 3).join("\n") + "\n" + lines[3].slice(0, 40),
  );
  await assert.rejects(readRecords(`${dir}/runs.jsonl`), {
    name: "UsageError",
    message: /ends in a torn line/,
  });
  const messages: string[] = [];
  const resumed = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
    log: (l) => messages.push(l),
  });
  assert.deepStrictEqual({ ran: resumed.ran, repaired: resumed.repaired }, {
    ran: 5,
    repaired: true,
  });
  assert.match(messages.join("\n"), /removed a torn last line/);
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  assert.deepStrictEqual(comparable(records), comparable(clean.records));
});

Deno.test("a changed search is refused unless --fresh; --fresh starts over", async () => {
  const dir = await scratch("runner-changed");
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const changed = { ...CONFIG, target: 0.7 };
  await assert.rejects(
    runExperiment(changed, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" }),
    (error: unknown) => {
      if (!(error instanceof UsageError)) return false;
      assert.match(
        error.message,
        /^Cannot resume .*runner-changed: its results were made with another search \("target" was 0\.6, now 0\.7\)$/,
      );
      assert.match(error.hint ?? "", /--fresh/);
      return true;
    },
  );
  // A different model is a different search too.
  await assert.rejects(
    runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m2" }),
    { name: "UsageError", message: /another search \("modelSha256" was "m", now "m2"\)$/ },
  );
  const fresh = await runExperiment(changed, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
    fresh: true,
  });
  assert.deepStrictEqual({ ran: fresh.ran, skipped: fresh.skipped }, { ran: 8, skipped: 0 });
  assert.strictEqual((await readRecords(`${dir}/runs.jsonl`)).records.length, 8);
});

Deno.test("an aborted run keeps its finished cells and resumes to the same records", async () => {
  const dir = await scratch("runner-abort");
  const controller = new AbortController();
  const first = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
    signal: controller.signal,
    onProgress: (p) => p.cellsDone >= 3 && controller.abort(),
  });
  assert.deepStrictEqual({ interrupted: first.interrupted, kept: first.records.length }, {
    interrupted: true,
    kept: 3,
  });
  const second = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  const clean = await runExperiment(CONFIG, {
    resultsDir: await scratch("runner-abort-clean"),
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual(comparable(second.records), comparable(clean.records));
});

Deno.test("perturbation regimes are a sweep axis: cells per regime, and adding one runs only the new cells", async () => {
  const gentle = { density: 0.01, amplitude: 0.1 }, strong = { density: 0.05, amplitude: 0.5 };
  const one = { ...CONFIG, digits: [7], masks: [30], perturbations: [strong] };
  const both = { ...one, perturbations: [gentle, strong] };
  assert.deepStrictEqual(expandCells(both).map((c) => c.id), [
    "7-1-30-d0.01-a0.1",
    "7-1-30-d0.05-a0.5",
    "7-2-30-d0.01-a0.1",
    "7-2-30-d0.05-a0.5",
  ]);
  const dir = await scratch("runner-regimes");
  const first = await runExperiment(one, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual(first.records.map((r) => r.image.replace(/-[0-9a-f]{12}\.png$/, "")), [
    "images/7-1-30",
    "images/7-2-30",
  ]);
  const second = await runExperiment(both, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual({ ran: second.ran, skipped: second.skipped }, { ran: 2, skipped: 2 });
  assert.deepStrictEqual(second.records.map((r) => r.perturbation), [
    gentle,
    strong,
    gentle,
    strong,
  ]);
  // The same cells run from scratch give the same records, old image names aside.
  const clean = await runExperiment(both, {
    resultsDir: await scratch("runner-regimes-clean"),
    score: fakeScorer(),
    modelSha256: "m",
  });
  const strip = (records: RunRecord[]) =>
    [...records].sort((a, b) => cellKey(a).localeCompare(cellKey(b)))
      .map(({ cell: _c, image: _i, wallMs: _w, ...rest }) => rest);
  assert.deepStrictEqual(strip(second.records), strip(clean.records));
});

Deno.test("searchChanges() names each changed field, hashes shortened and other models one by one", () => {
  const [a, b] = ["a".repeat(64), "b".repeat(64)];
  assert.deepStrictEqual(
    searchChanges(
      { target: 0.99, modelSha256: a, otherModels: { mlp: a, vae: a }, seeds: [1], name: "x" },
      { target: 0.99, modelSha256: b, otherModels: { mlp: a, vae: b }, seeds: [2], name: "y" },
    ),
    [
      `"modelSha256" was ${"a".repeat(12)}…, now ${"b".repeat(12)}…`,
      `"otherModels.vae" was ${"a".repeat(12)}…, now ${"b".repeat(12)}…`,
    ],
  );
});
