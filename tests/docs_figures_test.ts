/** Tests of `deno task docs:figures`: figures rebuilt from tiny results folders, or nothing written. */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { decodeGreyPng, renderGrid } from "../experiments/store/images.ts";
import { DOCS_FIGURES, DOCS_SCREENSHOTS } from "../experiments/report/docs_figures.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";
import { runTask, taskFlags } from "./_task.ts";

const TO_TMP = { "--allow-write=docs": "--allow-write=tests/tmp" };

/** Every file in a folder, recursively, with its bytes' length and a checksum. */
async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await listing(path));
    else {
      const bytes = await Deno.readFile(path);
      out.push(`${path} ${bytes.length} ${bytes.reduce((a, b) => (a * 31 + b) >>> 0, 0)}`);
    }
  }
  return out.sort();
}

/** Tiny results folders under the names of the committed configs the figures come from. */
async function tinyResults(root: string): Promise<void> {
  const fake = { score: fakeScorer(), modelSha256: "m1" };
  const base = { digits: [3, 7], seeds: 2, masks: [20], target: 0.5 };
  await runExperiment(parseConfig({ name: "all-digits", ...base }), {
    resultsDir: `${root}/all-digits`,
    ...fake,
  });
  await runExperiment(
    parseConfig({
      name: "strategies",
      ...base,
      seeds: 3,
      maxIterations: 400,
      strategy: [{ name: "greedy" }, { name: "sketch", candidates: 4 }],
      objective: "logprob",
    }),
    { resultsDir: `${root}/strategies`, ...fake },
  );
  // Two regimes, few iterations: the regime map; a target out of reach: failed runs' pictures.
  await runExperiment(
    parseConfig({
      name: "regime-map",
      ...base,
      target: 0.9,
      maxIterations: 5,
      perturbation: [{ density: 0.05, amplitude: 0.5 }, { density: 0.01, amplitude: 0.1 }],
    }),
    { resultsDir: `${root}/regime-map`, ...fake },
  );
  await runExperiment(
    parseConfig({ name: "seed-stalls-gentle", ...base, target: 0.999, maxIterations: 3 }),
    { resultsDir: `${root}/seed-stalls-gentle`, ...fake },
  );
}

Deno.test("DOCS_FIGURES names every figure in docs/, each from a committed config", async () => {
  // Every picture: the pages (Markdown) are written by hand, and config.md by deno task schema.
  const files = [...Deno.readDirSync(`${PROJECT_ROOT}/docs`)].map((e) => e.name)
    .filter((n) => !n.endsWith(".md")).sort();
  assert.deepStrictEqual([...DOCS_FIGURES, ...DOCS_SCREENSHOTS].map((f) => f.file).sort(), files);
  for (const f of [...DOCS_FIGURES, ...DOCS_SCREENSHOTS]) {
    assert.ok((await Deno.stat(`${PROJECT_ROOT}/${f.config}`)).isFile, f.config);
  }
  // A screenshot's command is a task that exists and writes that very file.
  const tasks = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`)).tasks;
  for (const s of DOCS_SCREENSHOTS) {
    assert.ok(s.command.split(" ")[2] in tasks, s.command);
    assert.ok(s.command.endsWith(`--screenshot docs/${s.file}`), s.command);
  }
  // The task reads the project and writes docs/, nothing else.
  assert.deepStrictEqual(await taskFlags("docs:figures"), ["--allow-read=.", "--allow-write=docs"]);
});

Deno.test("docs:figures draws sketch-grid.png from the sketch runs alone, and the report's own figures", async () => {
  const root = await scratch("docs-figures");
  const results = `${root}/results`;
  await tinyResults(results);
  const before = await listing(results);
  const rel = (p: string) => p.slice(PROJECT_ROOT.length + 1);
  const out = await runTask("docs:figures", "cli/docs_figures.ts", [
    "--results-dir",
    rel(results),
    "--out",
    rel(`${root}/docs`),
    "--only",
    "sketch-grid.png,grid.png,docs/curves.svg,success.svg,regime-map.svg,stalls.png",
  ], TO_TMP);
  assert.strictEqual(out.code, 0, out.stderr);
  // The results folders are only read; the staging folder is gone.
  assert.deepStrictEqual(await listing(results), before);
  assert.deepStrictEqual(
    [...Deno.readDirSync(`${root}/docs`)].map((e) => e.name).sort(),
    ["curves.svg", "grid.png", "regime-map.svg", "sketch-grid.png", "stalls.png", "success.svg"],
  );

  // sketch-grid.png: a row per digit of the sketch runs' own images, by seed.
  const { records } = await import("../experiments/store/records_io.ts").then((m) =>
    m.readRecords(`${results}/strategies/runs.jsonl`)
  );
  const sketch = records.filter((r) => r.strategy?.name === "sketch");
  assert.strictEqual(sketch.length, 6);
  assert.strictEqual(records.length, 12, "the folder holds greedy runs too");
  const rows = [3, 7].map((digit) =>
    sketch.filter((r) => r.digit === digit).sort((a, b) => a.seed - b.seed).map((r) =>
      decodeGreyPng(Deno.readFileSync(`${results}/strategies/${r.image}`)).levels
    )
  );
  const expected = renderGrid(rows);
  const drawn = decodeGreyPng(await Deno.readFile(`${root}/docs/sketch-grid.png`));
  assert.deepStrictEqual([drawn.width, drawn.height], [expected.width, expected.height]);
  assert.deepStrictEqual(drawn.levels, expected.levels);

  // The others: byte for byte what the folder's own report writes, under the report's name.
  for (const name of ["all-digits", "regime-map", "seed-stalls-gentle"]) {
    await writeReport(`${results}/${name}`, {});
  }
  for (
    const [file, source] of [
      ["grid.png", "all-digits/grid.png"],
      ["curves.svg", "all-digits/curves.svg"],
      ["success.svg", "all-digits/success.svg"],
      ["regime-map.svg", "regime-map/regimes.svg"],
      ["stalls.png", "seed-stalls-gentle/stalls.png"],
    ]
  ) {
    assert.deepStrictEqual(
      await Deno.readFile(`${root}/docs/${file}`),
      await Deno.readFile(`${results}/${source}`),
      file,
    );
  }
});

Deno.test("docs:figures names the configs to run for missing or unfinished folders, and writes nothing", async () => {
  const root = await scratch("docs-figures-missing");
  const results = `${root}/results`;
  await tinyResults(results);
  const rel = (p: string) => p.slice(PROJECT_ROOT.length + 1);
  const args = ["--results-dir", rel(results), "--out", rel(`${root}/docs`)];

  const all = await runTask("docs:figures", "cli/docs_figures.ts", args, TO_TMP);
  assert.strictEqual(all.code, 2, all.stderr);
  for (
    const line of [
      `docs/regimes-curves.svg: ${
        rel(results)
      }/regimes is missing; run \`deno task experiment configs/regimes.json\``,
      `docs/identikit-grid.png: ${
        rel(results)
      }/identikit is missing; run \`deno task experiment configs/identikit.json\``,
      `docs/baseline.svg: ${
        rel(results)
      }/all-digits has no baseline.json for its model; run \`deno task report ${
        rel(results)
      }/all-digits\` with its model in models/`,
    ]
  ) {
    assert.ok(all.stderr.includes(line), all.stderr);
  }
  assert.match(all.stderr, /Nothing was written/);
  assert.ok(!all.stderr.includes("docs/sketch-grid.png:"), "sketch-grid.png can be drawn");
  assert.ok(!all.stderr.includes("docs/stalls.png:"), "stalls.png can be drawn");
  assert.ok(!all.stderr.includes("docs/regime-map.svg:"), "regime-map.svg can be drawn");
  assert.strictEqual(
    await Deno.stat(`${root}/docs`).then(() => true, () => false),
    false,
    "nothing is written, not even the folder",
  );

  // An unfinished folder: one sketch record gone.
  const file = `${results}/strategies/runs.jsonl`;
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
  const kept = lines.filter((l) => !(l.includes('"sketch"') && l.includes('"seed":2,')));
  assert.strictEqual(kept.length, lines.length - 2);
  await Deno.writeTextFile(file, kept.map((l) => l + "\n").join(""));
  const unfinished = await runTask(
    "docs:figures",
    "cli/docs_figures.ts",
    [...args, "--only", "sketch-grid.png"],
    TO_TMP,
  );
  assert.strictEqual(unfinished.code, 2);
  assert.ok(
    unfinished.stderr.includes(
      `docs/sketch-grid.png: ${
        rel(results)
      }/strategies is not finished (2 of 6 cells of sketch have no record); run \`deno task experiment configs/strategies.json\` (it resumes)`,
    ),
    unfinished.stderr,
  );

  const unknown = await runTask("docs:figures", "cli/docs_figures.ts", ["--only", "x.png"]);
  assert.strictEqual(unknown.code, 2);
  assert.match(unknown.stderr, /--only: docs\/ has no figure "x.png"/);
  const outside = await runTask("docs:figures", "cli/docs_figures.ts", ["--out", "tests/tmp/x"]);
  assert.strictEqual(outside.code, 2);
  assert.match(outside.stderr, /--out tests\/tmp\/x: this task may not write there/);
});
