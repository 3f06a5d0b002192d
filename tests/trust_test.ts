/**
 * What a results folder promises: every record shows its own image, a sharded sweep can grow,
 * no writer is raced, and folders of older formats are migrated rather than misread.
 */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { acquireLock } from "../common/lock.ts";
import { parseConfig, type ResolvedConfig } from "../experiments/sweep/config.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { migrateResults } from "../experiments/store/migrate.ts";
import { expandCells } from "../experiments/sweep/axes.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { reproducible, type RunRecord } from "../experiments/store/records.ts";
import { shardCells } from "../experiments/sweep/shards.ts";
import { mergeShards } from "../experiments/store/merge.ts";
import { readResultsConfig } from "../experiments/store/results_format.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { comparable, scratch, TMP } from "./_helpers.ts";
import { runCli } from "./_cli.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const score = fakeScorer();
const run = (
  config: ResolvedConfig,
  dir: string,
  more: Partial<Parameters<typeof runExperiment>[1]> = {},
) => runExperiment(config, { resultsDir: dir, score, modelSha256: "m", ...more });

/** Each record's image, scored again: the target's probability, as the record has it. */
async function rescored(dir: string, records: RunRecord[]): Promise<[number, number][]> {
  const out: [number, number][] = [];
  for (const r of records) {
    const png = decodeGreyPng(await Deno.readFile(`${dir}/${r.image}`));
    const probs = await score(Float32Array.from(png.levels, (v) => v / 255), 1);
    out.push([probs[r.digit], Math.fround(r.finalConfidence)]);
  }
  return out;
}

const regime = (amplitude: number) =>
  parseConfig({
    name: "aba",
    digits: [1],
    seeds: 1,
    masks: [30],
    target: 0.9,
    maxIterations: 40,
    perturbation: { density: 0.05, amplitude },
  });

Deno.test("a regime edited A → B → A: every record's image reproduces its own confidence", async () => {
  const dir = await scratch("trust-aba");
  await run(regime(0.5), dir);
  await run(regime(0.2), dir);
  const third = await run(regime(0.5), dir);
  assert.deepStrictEqual([third.ran, third.skipped], [0, 1]);
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  assert.strictEqual(records.length, 2);
  assert.notStrictEqual(records[0].image, records[1].image, "one image per record");
  for (const [again, recorded] of await rescored(dir, records)) assert.strictEqual(again, recorded);
  const summary = await writeReport(dir);
  assert.strictEqual(summary.runs, 1);
});

Deno.test("regimes run one at a time, then swept together: grid.png shows each record's own image", async () => {
  const dir = await scratch("trust-aba-both");
  await run(regime(0.5), dir);
  await run(regime(0.2), dir);
  const both = {
    ...regime(0.5),
    perturbations: [...regime(0.5).perturbations, ...regime(0.2).perturbations],
  };
  const third = await run(both, dir);
  assert.deepStrictEqual([third.ran, third.skipped], [0, 2]);
  // Both records keep the id they were run under ("1-1-30"); their images differ.
  assert.deepStrictEqual(third.records.map((r) => r.cell), ["1-1-30", "1-1-30"]);
  await writeReport(dir);
  const grid = decodeGreyPng(await Deno.readFile(`${dir}/grid.png`));
  const tile = (c: number) => {
    // renderGrid's layout: 3× scale, 2 px gaps.
    const x0 = 2 + c * (84 + 2), y0 = 2;
    return Uint8Array.from(
      { length: 784 },
      (_, i) => grid.levels[(y0 + Math.floor(i / 28) * 3) * grid.width + x0 + (i % 28) * 3],
    );
  };
  const own = await Promise.all(
    third.records.map(async (r) => decodeGreyPng(await Deno.readFile(`${dir}/${r.image}`)).levels),
  );
  assert.notDeepStrictEqual(own[0], own[1]);
  const shown = [tile(0), tile(1)];
  const key = (a: Uint8Array) => a.join(",");
  assert.deepStrictEqual(shown.map(key).sort(), own.map(key).sort());
});

Deno.test("the report refuses two records of different cells that name one image", async () => {
  const dir = await scratch("trust-shared");
  await run(regime(0.5), dir);
  await run(regime(0.2), dir);
  const text = await Deno.readTextFile(`${dir}/runs.jsonl`);
  const [a, b] = text.trim().split("\n").map((l) => JSON.parse(l));
  await Deno.writeTextFile(
    `${dir}/runs.jsonl`,
    [a, { ...b, image: a.image }].map((r) => JSON.stringify(r) + "\n").join(""),
  );
  await assert.rejects(writeReport(dir), {
    name: "UsageError",
    message:
      `Cannot report on ${dir}: the records of cells 1-1-30 (1|1|30|0.05|0.5) and 1-1-30 (1|1|30|0.05|0.2) both name ${a.image}, so one of them would show the other's image`,
  });
});

Deno.test("a 2-shard sweep grown by two seeds and a mask count, rerun shard by shard, merges to the unsharded records", async () => {
  const base = parseConfig({
    name: "grow",
    digits: [1, 4, 7],
    seeds: [1, 2],
    masks: [20],
    target: 0.8,
    maxIterations: 30,
  });
  const grown = parseConfig({
    name: "grow",
    digits: [1, 4, 7],
    seeds: [1, 2, 3, 4],
    masks: [20, 40],
    target: 0.8,
    maxIterations: 30,
  });
  const dir = await scratch("trust-grow");
  for (const index of [0, 1]) await run(base, dir, { shard: { index, count: 2 } });
  const ran: number[] = [];
  for (const index of [0, 1]) {
    const outcome = await run(grown, dir, { shard: { index, count: 2 } });
    // Every old cell stays in the shard that holds its record: only new cells run.
    const old = new Set(shardCells(expandCells(base), { index, count: 2 }).map((c) => c.id));
    assert.strictEqual(outcome.skipped, old.size);
    ran.push(outcome.ran);
  }
  assert.strictEqual(ran[0] + ran[1], expandCells(grown).length - expandCells(base).length);
  const merged = await mergeShards(dir, await readResultsConfig(dir));
  assert.deepStrictEqual([merged.missing, merged.conflicts, merged.mismatched], [[], [], []]);
  const whole = await run(grown, await scratch("trust-grow-whole"));
  assert.strictEqual(merged.records.length, 24);
  assert.deepStrictEqual(comparable(merged.records), comparable(whole.records));
  // Merged records keep the config's cell order, as an unsharded run writes them.
  assert.deepStrictEqual(merged.records.map((r) => r.cell), whole.records.map((r) => r.cell));
});

Deno.test("re-sharded from 2 to 3 shards as a second regime is added, the cells run twice merge as one", async () => {
  const one = regime(0.5);
  const two = {
    ...one,
    digits: [1, 4, 7],
    perturbations: [...one.perturbations, ...regime(0.2).perturbations],
  };
  const first = { ...one, digits: [1, 4, 7] };
  const dir = await scratch("trust-reshard");
  for (const index of [0, 1]) await run(first, dir, { shard: { index, count: 2 } });
  for (const index of [0, 1, 2]) await run(two, dir, { shard: { index, count: 3 } });
  const merged = await mergeShards(dir, await readResultsConfig(dir));
  // Some cells are in a 2-shard file (id "1-1-30") and a 3-shard file ("1-1-30-d0.05-a0.5"):
  // the same run under two names, not a conflict.
  assert.deepStrictEqual([merged.missing, merged.conflicts], [[], []]);
  const whole = await run(two, await scratch("trust-reshard-whole"));
  const same = (records: RunRecord[]) => records.map((r) => JSON.stringify(reproducible(r)));
  assert.deepStrictEqual(same(merged.records), same(whole.records));
  for (const [again, recorded] of await rescored(dir, merged.records)) {
    assert.strictEqual(again, recorded);
  }
});

Deno.test("--fresh deletes nothing while another process holds the folder, then waits for it", async () => {
  const config = regime(0.5);
  const dir = await scratch("trust-fresh");
  await run(config, dir);
  await writeReport(dir);
  // Another process preparing the folder (a shard starting, a merge) holds the folder lock.
  const other = await acquireLock(`${dir}/folder.lock`, { self: { host: "h", pid: 7 } });
  let finished = false;
  const fresh = run(config, dir, { fresh: true }).finally(() => finished = true);
  await new Promise((r) => setTimeout(r, 600));
  assert.ok(!finished, "--fresh ran while another process held the folder");
  assert.ok(await exists(`${dir}/report.md`), "--fresh deleted the report under the lock");
  await other.release();
  const done = await fresh;
  assert.strictEqual(done.ran, 1);
  assert.ok(!(await exists(`${dir}/report.md`)), "then --fresh starts over");
});

Deno.test({
  ...opts,
  name:
    "merge exits 2 naming the holder while a shard is writing or the folder is held, and writes nothing",
  fn: async () => {
    const config = parseConfig({
      name: "held",
      digits: [2, 5],
      seeds: 2,
      masks: [20],
      target: 0.8,
      maxIterations: 20,
    });
    const dir = await scratch("trust-merge-held");
    for (const index of [0, 1]) await run(config, dir, { shard: { index, count: 2 } });
    const writer = await acquireLock(`${dir}/runs.2-of-2.jsonl.lock`, {
      self: { host: "node3", pid: 4711 },
    });
    const busy = await runCli("cli/merge.ts", [dir]);
    await writer.release();
    assert.strictEqual(busy.code, 2, busy.stderr);
    assert.match(
      busy.stderr,
      /runs\.2-of-2\.jsonl\.lock is held by another run \(pid 4711 on host node3/,
    );
    assert.match(busy.stderr, /HINT: merge rewrites records that this run appends to/);
    assert.ok(!(await exists(`${dir}/runs.jsonl`)), "merge wrote runs.jsonl beside a live shard");
    const folder = await acquireLock(`${dir}/folder.lock`, { self: { host: "node4", pid: 99 } });
    const held = await runCli("cli/merge.ts", [dir]);
    await folder.release();
    assert.strictEqual(held.code, 2, held.stderr);
    assert.match(held.stderr, /folder\.lock is held by another run \(pid 99 on host node4/);
    assert.ok(!(await exists(`${dir}/runs.jsonl`)));
  },
});

/** Turns a folder this version wrote back into what results format 2 wrote. */
async function asFormat2(
  dir: string,
  files: Record<string, RunRecord[]>,
): Promise<void> {
  for (const [file, records] of Object.entries(files)) {
    const old = records.map((r) => ({ ...r, image: `images/${r.cell}.png` }));
    await Deno.writeTextFile(`${dir}/${file}`, old.map((r) => JSON.stringify(r) + "\n").join(""));
  }
  const stored = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...stored, format: 2 }));
}

Deno.test("a format-2 folder is refused with the command that migrates it; migrate keeps every record whose image is its own", async () => {
  const dir = await scratch("trust-migrate");
  const a = (await run(regime(0.5), dir)).records[0];
  const b = (await run(regime(0.2), dir)).records[0];
  await run(regime(0.5), dir);
  // Format 2 named both images/1-1-30.png: the 0.2 run wrote it last.
  await Deno.copyFile(`${dir}/${b.image}`, `${dir}/images/1-1-30.png`);
  for (const r of [a, b]) await Deno.remove(`${dir}/${r.image}`);
  await asFormat2(dir, { "runs.jsonl": [a, b] });
  const before = await Deno.readTextFile(`${dir}/config.json`);
  const refusal = {
    name: "UsageError",
    message:
      `${dir}/config.json was written by an older identikit (results format 2; this one reads 3): its images are named by cell id alone, which two records can share`,
  };
  await assert.rejects(readResultsConfig(dir), refusal);
  await assert.rejects(run(regime(0.5), dir), refusal);
  const report = await runCli("cli/report.ts", [dir]);
  assert.strictEqual(report.code, 2);
  assert.match(report.stderr, new RegExp(`HINT: .*deno task migrate ${dir}`));
  assert.strictEqual(await Deno.readTextFile(`${dir}/config.json`), before, "reading wrote");

  const migrated = await migrateResults(dir);
  assert.deepStrictEqual(
    {
      from: migrated.from,
      kept: migrated.kept,
      dropped: migrated.dropped,
      removed: migrated.removed,
    },
    { from: 2, kept: 1, dropped: [{ cell: "1-1-30", file: "runs.jsonl" }], removed: 1 },
  );
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  assert.deepStrictEqual(
    records,
    [b],
    "the kept record is byte for byte the one this version writes",
  );
  assert.strictEqual((await migrateResults(dir)).from, 3, "a second migration does nothing");
  const cli = await runCli("cli/migrate.ts", [dir]);
  assert.strictEqual(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /is already in results format 3: nothing to do/);
  const notFolder = await runCli("cli/migrate.ts", [`${dir}/runs.jsonl`]);
  assert.strictEqual(notFolder.code, 2);
  assert.match(
    notFolder.stderr,
    /runs\.jsonl is not an identikit results folder: it is not a folder/,
  );
  // The dropped cell runs again; then every record shows its own image.
  const resumed = await run(regime(0.5), dir);
  assert.deepStrictEqual([resumed.ran, resumed.skipped], [1, 0]);
  const all = (await readRecords(`${dir}/runs.jsonl`)).records;
  assert.deepStrictEqual(comparable(all), comparable([b, a]));
  for (const [again, recorded] of await rescored(dir, all)) assert.strictEqual(again, recorded);
});

Deno.test("migrate gives no record an image that a killed run (a torn last line) overwrote", async () => {
  const dir = await scratch("trust-migrate-torn");
  const a = (await run(regime(0.5), dir)).records[0];
  const b = (await run(regime(0.2), await scratch("trust-migrate-torn-b"))).records[0];
  // Format 2: the 0.2 run wrote images/1-1-30.png, then was killed while appending its record.
  await Deno.copyFile(`${TMP}/trust-migrate-torn-b/${b.image}`, `${dir}/images/1-1-30.png`);
  await Deno.remove(`${dir}/${a.image}`);
  await asFormat2(dir, { "runs.jsonl": [a] });
  const torn = JSON.stringify({ ...b, image: "images/1-1-30.png" }).slice(0, 90);
  await Deno.writeTextFile(`${dir}/runs.jsonl`, torn, { append: true });
  const migrated = await migrateResults(dir);
  assert.deepStrictEqual(migrated.dropped, [{ cell: "1-1-30", file: "runs.jsonl" }]);
  assert.deepStrictEqual((await readRecords(`${dir}/runs.jsonl`)).records, []);
  const again = await run(regime(0.5), dir);
  assert.deepStrictEqual([again.ran, again.skipped], [1, 0]);
  for (const [score1, recorded] of await rescored(dir, again.records)) {
    assert.strictEqual(score1, recorded);
  }
});

Deno.test("migrate puts an old sharded folder's records into their stable shards, so resumed shards run nothing", async () => {
  const config = parseConfig({
    name: "oldshards",
    digits: [0, 3, 6, 9],
    seeds: 2,
    masks: [20],
    target: 0.8,
    maxIterations: 20,
  });
  const dir = await scratch("trust-migrate-shards");
  const all = (await run(config, await scratch("trust-migrate-shards-whole"))).records;
  for (const index of [0, 1]) await run(config, dir, { shard: { index, count: 2 } });
  const byIndex: Record<string, RunRecord[]> = { "runs.1-of-2.jsonl": [], "runs.2-of-2.jsonl": [] };
  // Format 2 took cell i into shard i mod 2.
  all.forEach((r, i) => byIndex[`runs.${(i % 2) + 1}-of-2.jsonl`].push(r));
  for (const r of all) await Deno.copyFile(`${dir}/${r.image}`, `${dir}/images/${r.cell}.png`);
  await asFormat2(dir, byIndex);
  const migrated = await migrateResults(dir);
  assert.strictEqual(migrated.kept, 8);
  assert.ok(migrated.moved > 0, "some records changed shard");
  for (const index of [0, 1]) {
    const again = await run(config, dir, { shard: { index, count: 2 } });
    assert.strictEqual(again.ran, 0);
  }
  const merged = await mergeShards(dir, await readResultsConfig(dir));
  assert.deepStrictEqual(comparable(merged.records), comparable(all));
  for (const [again, recorded] of await rescored(dir, merged.records)) {
    assert.strictEqual(again, recorded);
  }
});
