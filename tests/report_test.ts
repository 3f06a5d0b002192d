/** renderReport(): the Markdown a results folder gets, from data alone. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { renderReport } from "../experiments/report/markdown.ts";
import { summarize } from "../experiments/analysis/statistics.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";

async function reportOf(name: string, data: Record<string, unknown>, figures: string[] = []) {
  const config = parseConfig({ name, ...data });
  const dir = await scratch(`report-${name}`);
  await runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" });
  const { records } = await readRecords(`${dir}/runs.jsonl`);
  const summary = summarize(records, { sweep: { queries: 100_000, elapsedMs: 20_000 } });
  const md = renderReport({
    config: { ...config, hash: "abc123" },
    model: { testAccuracy: 0.9924, epochs: 2, seed: 7 },
    summary,
    records,
    baseline: null,
    likeness: null,
    figures,
  });
  return { md, records, summary };
}

Deno.test("renderReport() for the seed's search: headline, setup, per-digit table, stuck runs", async () => {
  // maxIterations 3 with a hard target: most runs stop early, so the stuck table has rows.
  const { md, records, summary } = await reportOf("seedlike", {
    digits: [3, 7],
    seeds: 2,
    masks: [20],
    target: 0.999,
    maxIterations: 3,
  }, ["success.svg", "curves.svg"]);
  const lines = md.split("\n");
  assert.strictEqual(
    lines[0],
    "# identikit: what does the network think a digit looks like? — `seedlike`",
  );
  const converged = records.filter((r) => r.converged).length;
  assert.ok(
    md.includes(`**${converged} of 4 runs** reached confidence ≥ 0.999`),
    "headline counts the converged runs",
  );
  assert.strictEqual(summary.runs, 4);
  // The rate comes from the sweep's own clock: 100,000 network queries in 20 s.
  assert.ok(md.includes("| provider | `node-cpu` |"));
  assert.ok(
    md.includes(
      "| throughput | 5000 network queries/s over 100,000 network queries (images scored, each shifted copy and each model's counted), for " +
        `${
          summary.totalEvaluations.toLocaleString("en-US")
        } evaluations (candidate images, as the records count them) |`,
    ),
  );
  assert.ok(md.includes("| model | `cnn`, test accuracy 99.24 % (2 epochs, seed 7) |"));
  assert.ok(md.includes("| config hash | `abc123` |"));
  assert.ok(!md.includes("## Strategies"), "the seed's search has no strategies table");
  assert.ok(md.includes("## Per digit"));
  // Figures appear exactly when they exist.
  assert.ok(md.includes("![Success rate per digit](success.svg)"));
  assert.ok(md.includes("![Convergence](curves.svg)"));
  assert.ok(!md.includes("evaluations.svg"));
  // The seed's rows: 7 is in the sweep, 9 is not; no baseline section without a baseline.
  assert.match(
    md,
    /\| digit 7 reaches 0\.999 \| 50 % of runs \| \d+ % \(\d+ %–\d+ %\) at 20 masks \|/,
  );
  assert.ok(md.includes("| digit 9 reaches 0.999 | 30 % of runs | not in this sweep |"));
  assert.ok(!md.includes("## Baseline"));
  // Every run that did not converge is named in the stuck table, and only those.
  const failed = records.filter((r) => !r.converged);
  assert.ok(failed.length > 0, "this sweep must have runs that stop short");
  assert.ok(md.includes(`${failed.length} run(s) did not reach 0.999.`));
  for (const r of records) {
    assert.strictEqual(md.includes(`| ${r.cell} |`), !r.converged, r.cell);
  }
  assert.ok(md.endsWith("Rebuild this report with `deno task report results/seedlike`.\n"));
});

Deno.test("renderReport() for a sweep of strategies: a row per strategy, its figure beside it", async () => {
  const { md } = await reportOf("axes", {
    digits: [1],
    seeds: 1,
    target: 0.9,
    maxIterations: 30,
    strategy: [{ name: "greedy" }, { name: "square" }],
  }, ["evaluations.svg"]);
  const section = md.slice(md.indexOf("## Strategies"), md.indexOf("## Per digit"));
  assert.ok(section.length > 0, "a Strategies section before the per-digit table");
  assert.match(section, /\n\| greedy[^\n]*\|/);
  assert.match(section, /\n\| square[^\n]*\|/);
  assert.ok(section.includes("![Evaluations to target per digit and setting](evaluations.svg)"));
  assert.ok(md.includes("× 2 strategies = 2 runs |"));
});
