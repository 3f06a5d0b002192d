/** Results folders of other versions: old ones migrated, newer and foreign ones refused clearly. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { readResultsConfig } from "../experiments/store/results_format.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { parseStoredConfig, RESULTS_FORMAT } from "../experiments/store/results_format.ts";
import { migrateResults } from "../experiments/store/migrate.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";

const CONFIG = parseConfig({ name: "fmt", digits: [3], seeds: 2, masks: [20], target: 0.6 });

async function folder(name: string): Promise<{ dir: string; saved: Record<string, unknown> }> {
  const dir = await scratch(name);
  await runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  return { dir, saved: JSON.parse(await Deno.readTextFile(`${dir}/config.json`)) };
}

Deno.test("config.json carries the results format first", async () => {
  const { saved } = await folder("fmt-current");
  assert.strictEqual(Object.keys(saved)[0], "format");
  assert.strictEqual(saved.format, RESULTS_FORMAT);
  assert.strictEqual(RESULTS_FORMAT, 3);
});

Deno.test("a format-1 folder (one `perturbation`, no strategies) is refused until migrated, then reports and resumes", async () => {
  const { dir, saved } = await folder("fmt-old");
  // What the folder looked like before regimes, strategies and objectives were axes, and before
  // images were named by the records' whole identity.
  const { format: _, perturbations, strategies: _s, objectives: _o, ...old } = saved;
  const v1 = { ...old, perturbation: (perturbations as unknown[])[0] };
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(v1, null, 2));
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  for (const r of records) await Deno.rename(`${dir}/${r.image}`, `${dir}/images/${r.cell}.png`);
  await Deno.writeTextFile(
    `${dir}/runs.jsonl`,
    records.map((r) => JSON.stringify({ ...r, image: `images/${r.cell}.png` }) + "\n").join(""),
  );
  await assert.rejects(writeReport(dir), {
    name: "UsageError",
    message: /results format 1; this one reads 3/,
  });
  assert.strictEqual((await migrateResults(dir)).from, 1);
  const summary = await writeReport(dir);
  assert.deepStrictEqual([summary.runs, summary.groups.length], [2, 1]);
  const upgraded = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  assert.deepStrictEqual(upgraded, saved, "migrated to exactly what this version writes");
  assert.deepStrictEqual((await readRecords(`${dir}/runs.jsonl`)).records, records);
  const again = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.deepStrictEqual([again.ran, again.skipped], [0, 2]);
});

Deno.test("a folder of a newer version is refused for report and resume, and left as it was", async () => {
  const { dir, saved } = await folder("fmt-new");
  const text = JSON.stringify({ ...saved, format: 4, somethingNew: true });
  await Deno.writeTextFile(`${dir}/config.json`, text);
  const expected = {
    name: "UsageError",
    message:
      `${dir}/config.json was written by a newer identikit (results format 4; this one reads up to 3)`,
  };
  await assert.rejects(readResultsConfig(dir), expected);
  await assert.rejects(
    runExperiment(CONFIG, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" }),
    expected,
  );
  assert.strictEqual(await Deno.readTextFile(`${dir}/config.json`), text);
  // --fresh is the way to start such a folder over.
  const fresh = await runExperiment(CONFIG, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
    fresh: true,
  });
  assert.strictEqual(fresh.ran, 2);
});

Deno.test("a foreign config.json is named with what is wrong, by path", () => {
  assert.throws(() => parseStoredConfig([1, 2], "x/config.json"), {
    name: "UsageError",
    message:
      "x/config.json is not the config of an identikit results folder: it is not a JSON object",
  });
  assert.throws(() => parseStoredConfig({ name: "a", masks: "many" }, "x/config.json"), {
    name: "UsageError",
    message:
      'x/config.json is not the config of an identikit results folder:\n  - "masks" must be a list, received "many"',
  });
  assert.throws(() => parseStoredConfig({ name: "a", format: "two" }, "x/config.json"), {
    message: /"format" must be a whole number ≥ 1, found "two"/,
  });
  assert.throws(() => parseStoredConfig({ name: "a", searchHash: 5 }, "x/config.json"), {
    message: /"searchHash" must be a string, found 5/,
  });
});

Deno.test("a records line that is JSON but not a run record is named with its line and field", async () => {
  const { dir } = await folder("fmt-records");
  await Deno.writeTextFile(`${dir}/runs.jsonl`, '{"cell":"3-9-20","digit":"three"}\n', {
    append: true,
  });
  await assert.rejects(readRecords(`${dir}/runs.jsonl`), {
    name: "UsageError",
    message:
      `${dir}/runs.jsonl line 3 is not an identikit run record: "digit" should be a number, found "three"`,
  });
});
