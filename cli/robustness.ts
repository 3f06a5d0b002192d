/**
 * `deno task robustness results/<name>`: from a results folder with many seeds per digit, the
 * chance that a random set of seeds keeps every digit's median and p90 within the limits (a
 * table per setting), or how given seed sets fare (`--seed-sets`).
 */

import { EXIT, intFlag, listFlag, parseFolderFlags, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { createPrng } from "../common/prng.ts";
import { noRecordsError, readConfigRecords } from "../experiments/store/config_records.ts";
import { modelLabel } from "../experiments/judge/model_file.ts";
import { settingKey, settingLabel } from "../experiments/sweep/axes.ts";
import {
  checkSeedSets,
  DEFAULT_LIMITS,
  estimateRobustness,
  parseSeedSets,
  type RobustnessLimits,
  type RobustnessRun,
} from "../experiments/analysis/robustness.ts";
import type { StoredConfig } from "../experiments/store/results_format.ts";

const USAGE = `Usage: deno task robustness results/<name> [--size 10] [--sets 2000] [--seed 1]
         [--pool-resamples 100] [--limit-median M] [--limit-p90 P] [--seed-sets 11-20,101-110,…]

From a results folder with many seeds per digit (e.g. after
\`deno task experiment configs/robustness.json\`), estimates the chance that a random set of
--size seeds (the same seeds for every digit, drawn without replacement from the seeds every
digit has) keeps every digit's median and p90 of evaluations within the limits. --sets sets are
drawn from a PRNG seeded by --seed; the 95 % Wilson interval is the error of those draws, and the
95 % bootstrap interval over --pool-resamples resamples of the folder's seeds (0: none) is the
error of which seeds the folder happens to hold. A failed run counts as infinitely many
evaluations. One table per setting (strategy, objective, …); --size may list several sizes
(5,10,20).

Limits default to the published ones (docs/findings.md): at target 0.99 a median of 100 and a p90 of 300 evaluations, at
0.9999 300 and 1,000; other targets need --limit-median (and --limit-p90 to check the p90).

--seed-sets checks given sets instead (a range a-b, seeds joined by +, sets separated by commas):
each set's worst digit's median and p90, and whether it stays within the limits.`;

if (import.meta.main) {
  await runMain(async () => {
    const { values, dir } = parseFolderFlags(Deno.args, {
      usage: USAGE,
      flags: {
        size: {
          type: "string",
          arg: "LIST",
          description: "seeds per random set, comma-separated: one row each",
          shownDefault: "10",
        },
        sets: {
          type: "string",
          arg: "N",
          description: "random seed sets drawn per size",
          shownDefault: "2000",
        },
        seed: {
          type: "string",
          arg: "S",
          description: "the seed of the draws (the same seed, the same sets)",
          shownDefault: "1",
        },
        "pool-resamples": {
          type: "string",
          arg: "N",
          description: "bootstrap resamples of the pool, for the chance's interval",
          shownDefault: "100",
        },
        "limit-median": {
          type: "string",
          arg: "M",
          description: "the largest median of evaluations a digit may have",
          shownDefault: "the published one for the target (0.99: 100; 0.9999: 300)",
        },
        "limit-p90": {
          type: "string",
          arg: "P",
          description: "the largest p90 of evaluations a digit may have",
          shownDefault: "the published one for the target (0.99: 300; 0.9999: 1,000)",
        },
        "seed-sets": {
          type: "string",
          arg: "SETS",
          description:
            "check these sets instead: a range a-b, seeds joined by +, sets separated by commas",
        },
      },
    });
    const sizes = listFlag("size", values.size, {
      fallback: [10],
      parse: (item) => intFlag("size", item, { fallback: 10 }),
    });
    const sets = intFlag("sets", values.sets, { fallback: 2000, max: 10_000_000 });
    const seed = intFlag("seed", values.seed, { fallback: 1, min: 0, max: 2 ** 32 - 1 });
    const poolResamples = intFlag("pool-resamples", values["pool-resamples"], {
      fallback: 100,
      min: 0,
      max: 100_000,
    });
    let seedSets: number[][] | undefined;
    if (values["seed-sets"] !== undefined) {
      try {
        seedSets = parseSeedSets(values["seed-sets"]);
      } catch (error) {
        throw new UsageError(`--seed-sets: ${(error as Error).message}`, { hint: USAGE });
      }
    }

    const { config, records, missing, sharded } = await readConfigRecords(dir);
    if (records.length === 0) throw noRecordsError(dir, sharded);
    if (missing.length > 0) {
      console.error(
        `${dir}: ${missing.length} of ${
          missing.length + records.length
        } cells have no record yet; estimating from the seeds every digit has.`,
      );
    }
    const limits = limitsFor(config, values["limit-median"], values["limit-p90"]);

    const bySetting = new Map<string, RobustnessRun[]>();
    const labels = new Map<string, string>();
    for (const r of records) {
      const key = settingKey(r);
      if (!bySetting.has(key)) {
        bySetting.set(key, []);
        const label = settingLabel(r, config);
        labels.set(key, typeof label === "number" ? `${label} masks` : label);
      }
      bySetting.get(key)!.push(r);
    }
    // Every table first, so that bad input exits 2 before anything is printed.
    const tables = [...bySetting].map(([key, runs]) =>
      `\n### ${labels.get(key)}\n\n${
        seedSets
          ? seedSetsTable(runs, seedSets, limits)
          : robustnessTable(runs, { sizes, sets, seed, limits, poolResamples })
      }`
    );
    console.log(
      `${dir}: model ${modelLabel(config.model)}${
        config.modelSha256 ? ` (ONNX sha256 ${config.modelSha256.slice(0, 8)}…)` : ""
      }, target ${config.target}; limits per digit: median ≤ ${limits.median}${
        limits.p90 !== undefined ? `, p90 ≤ ${limits.p90}` : ""
      } evaluations; a failed run counts as ∞`,
    );
    for (const table of tables) console.log(table);
    return EXIT.ok;
  });
}

/** The limits from the flags, else the published ones for the config's target. */
function limitsFor(
  config: StoredConfig,
  median: string | undefined,
  p90: string | undefined,
): RobustnessLimits {
  const fallback = DEFAULT_LIMITS.get(config.target);
  if (median === undefined && !fallback) {
    throw new UsageError(
      `No default limits for target ${config.target}: pass --limit-median M (and --limit-p90 P)`,
      { hint: `Defaults exist for targets ${[...DEFAULT_LIMITS.keys()].join(" and ")}.` },
    );
  }
  const limit = (name: string, value: string | undefined, otherwise: number | undefined) =>
    value === undefined ? otherwise : intFlag(name, value, { fallback: 0 });
  const p = limit("limit-p90", p90, fallback?.p90);
  const m = limit("limit-median", median, fallback?.median)!;
  if (p !== undefined && p < m) {
    throw new UsageError(
      `--limit-p90 ${p} is below the median's limit ${m}: a p90 is never below its median, so no set could pass`,
      { hint: "Give --limit-p90 at least --limit-median (for example 100 and 300)." },
    );
  }
  return { median: m, ...(p !== undefined ? { p90: p } : {}) };
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function evals(n: number): string {
  return Number.isFinite(n) ? count(Math.round(n)) : "∞";
}

function robustnessTable(
  runs: RobustnessRun[],
  o: {
    sizes: number[];
    sets: number;
    seed: number;
    limits: RobustnessLimits;
    poolResamples: number;
  },
): string {
  const lines = [
    "| seeds per set | seeds drawn from | sets | within the limits | probability (95 % CI) | over resampled pools (95 %) | worst digit's median: p10 / p50 / p90 | digits over a limit (sets) |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const size of o.sizes) {
    let e;
    try {
      e = estimateRobustness(runs, {
        size,
        sets: o.sets,
        limits: o.limits,
        prng: createPrng(o.seed),
        poolResamples: o.poolResamples,
      });
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
    const over = e.overByDigit.filter((d) => d.sets > 0).sort((a, b) => b.sets - a.sets)
      .map((d) => `${d.digit}: ${count(d.sets)}`).join(", ") || "none";
    lines.push(
      `| ${size} | ${e.pool} | ${count(e.sets)} | ${count(e.within)} | ${
        e.probability.toFixed(3)
      } (${e.wilsonLow.toFixed(3)}–${e.wilsonHigh.toFixed(3)}) | ${
        e.poolInterval ? e.poolInterval.map((p) => p.toFixed(3)).join("–") : "–"
      } | ${e.worstMedian.map(evals).join(" / ")} | ${over} |`,
    );
  }
  return lines.join("\n");
}

function seedSetsTable(
  runs: RobustnessRun[],
  seedSets: number[][],
  limits: RobustnessLimits,
): string {
  let checks;
  try {
    checks = checkSeedSets(runs, seedSets, limits);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new UsageError(`--seed-sets: ${error.message}`, {
        hint: "Name only seeds the results folder has for every digit.",
      });
    }
    throw error;
  }
  const span = (seeds: number[]) => {
    const contiguous = seeds.every((s, i) => i === 0 || s === seeds[i - 1] + 1);
    return contiguous && seeds.length > 1 ? `${seeds[0]}–${seeds.at(-1)}` : seeds.join(", ");
  };
  return [
    "| seeds | worst digit: median | worst digit: p90 | within the limits |",
    "| --- | ---: | ---: | --- |",
    ...checks.map((c) =>
      `| ${span(c.seeds)} | ${evals(c.worstMedian.value)} (${c.worstMedian.digit}) | ${
        evals(c.worstP90.value)
      } (${c.worstP90.digit}) | ${c.within ? "yes" : "no"} |`
    ),
  ].join("\n");
}
