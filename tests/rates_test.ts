/** Rates and totals: one unit (network queries) in segments, summary and report, as records count it. */

import assert from "node:assert/strict";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readSegments } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { fakeScoring } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";

// Shifted copies (jitter 1: 5 per candidate) scored by two models, beside a plain objective;
// pixels and a decoder's latent space (whose renders are network queries too).
const JITTER = parseConfig({
  name: "jitter-rates",
  digits: [1, 7],
  seeds: 2,
  target: 0.9,
  maxIterations: 12,
  patience: 12,
  strategy: [{ name: "es", candidates: 8 }, { name: "latent" }],
  objective: ["margin", { name: "margin", models: ["cnn-s2", "mlp"], jitter: 1 }],
});

Deno.test("a jitter sweep's report states its rate and total in network queries, agreeing with the records and the calls made", async () => {
  const dir = await scratch("rates-jitter");
  const scoring = fakeScoring();
  const { records } = await runExperiment(JITTER, {
    resultsDir: dir,
    score: scoring,
    modelSha256: "m",
  });
  assert.strictEqual(records.length, 16);
  const jittered = records.filter((r) => r.objective !== "margin");
  assert.strictEqual(jittered.length, 8);
  for (const r of jittered.filter((r) => r.strategy?.name === "es")) {
    assert.strictEqual(r.queries, r.evaluations * 5 * 2, r.cell);
  }

  // Independent counts: what the networks were asked, and what the records say they cost.
  const asked = scoring.calls.reduce((n, c) => n + c.count, 0);
  const recorded = records.reduce((n, r) => n + (r.queries ?? r.evaluations), 0);
  const candidates = records.reduce((n, r) => n + r.evaluations, 0);
  assert.strictEqual(recorded, asked);
  assert.ok(asked > 5 * candidates, "the copies must make queries and evaluations differ");

  const segments = await readSegments(dir);
  assert.strictEqual(segments.length, 1);
  const summary = await writeReport(dir);
  const seconds = segments[0].elapsedMs / 1000;

  const md = await Deno.readTextFile(`${dir}/report.md`);
  const line = md.split("\n").find((l) => l.includes("/s"));
  const match = line?.match(
    /^\| throughput \| (\d+) network queries\/s over ([\d,]+) network queries \(.*\), for ([\d,]+) evaluations \(candidate images.*\) \|$/,
  );
  assert.ok(match, `the report's rate line: ${line}`);
  const number = (s: string) => Number(s.replaceAll(",", ""));
  assert.deepStrictEqual(
    [match[1], number(match[2]), number(match[3])],
    [(asked / seconds).toFixed(0), asked, candidates],
  );
  // No other line of the report states a rate.
  assert.deepStrictEqual(md.split("\n").filter((l) => /\/s\b/.test(l)), [line]);
  assert.deepStrictEqual([summary.totalQueries, summary.totalEvaluations], [asked, candidates]);
  assert.strictEqual(summary.queriesPerSecond, asked / seconds);
  assert.strictEqual(summary.evaluationsPerSecond, candidates / seconds);
  // One segment ran everything: it counts the same queries, in as many calls as were made.
  assert.deepStrictEqual([segments[0].queries, segments[0].calls], [asked, scoring.calls.length]);
});

Deno.test("readSegments() reads an older version's segment (images scored as `evaluations`) as its queries", async () => {
  const dir = await scratch("rates-old-segments");
  await Deno.writeTextFile(
    `${dir}/segments.jsonl`,
    '{"startedAt":"2026-12-01T00:00:00.000Z","elapsedMs":2000,"evaluations":900,"cells":3,"parallel":1}\n',
  );
  const [segment] = await readSegments(dir);
  assert.deepStrictEqual([segment.queries, segment.calls], [900, undefined]);
});
