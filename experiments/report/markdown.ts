/** Renders `report.md` from data alone (pure: no I/O, no clock). */

import type { Baseline } from "../analysis/baseline.ts";
import type { Likeness } from "../analysis/likeness.ts";
import type { RunRecord } from "../store/records.ts";
import { settingsTable, summaryTable } from "./tables.ts";
import { type Summary } from "../analysis/statistics.ts";
import { type Coordinates, settingLabel, sweepsNewAxes } from "../sweep/axes.ts";
import { objectiveLabel, objectiveName, OBJECTIVES } from "../search/objectives.ts";
import { type TransferRow } from "../analysis/transfer.ts";
import { transferTable } from "./tables.ts";
import { strategyOf } from "../search/strategies/registry.ts";
import type { ResolvedConfig } from "../sweep/config.ts";
import { isExternal, modelLabel } from "../judge/model_file.ts";
import { rivalOf, type StallRow } from "../analysis/stalls.ts";
import { plateauTable, stallTable } from "./tables.ts";
import type { PlateauRow } from "../analysis/plateaus.ts";

/** Everything the report shows. */
export interface ReportData {
  config: ResolvedConfig & { hash?: string; modelSha256?: string };
  /** `models/<model>.json` as copied into the results folder, if known. */
  model: { testAccuracy?: number; epochs?: number; seed?: number; trainSeconds?: number } | null;
  summary: Summary;
  records: RunRecord[];
  baseline: Baseline | null;
  likeness: Likeness | null;
  /** Figure files present in the results folder. */
  figures: string[];
  /** Sweeps of several regimes: the table of regimes where 7 and 9 are the hardest digits. */
  regimeMap?: string[];
  /** With the regime map: per setting, the iteration budget closest to the seed's 7 and 9. */
  budgets?: string[];
  /** Configs with judges: what each judge calls, per setting. */
  transfer?: TransferRow[];
  /** Configs with pixel judges: how near real test digits are to their nearest training digit. */
  reference?: { median: number; p95: number };
  /** Runs that did not reach the target, per digit (and stalls.png shows them). */
  stalls?: StallRow[];
  /** Runs that did not reach the target, per network and setting: local optimum or budget. */
  plateaus?: PlateauRow[];
  /** The device the provider ran on, if recorded. */
  device?: string;
}

const pct = (x: number, digits = 0) => `${(x * 100).toFixed(digits)} %`;

/** The seed experiment's figures. */
export const SEED_FIGURES = {
  softmaxAccuracy: 0.92,
  cnnAccuracy: 0.992,
  sevenSuccess: 0.5,
  nineSuccess: 0.3,
};

/** The table printed at the end of a run: per setting for sweeps of strategies, else per digit. */
export function closingTable(c: ResolvedConfig, summary: Summary): string {
  if (!sweepsNewAxes(c)) return summaryTable(summary);
  return settingsTable(summary, (x) => settingLabel(x, c));
}

/** Renders the report as Markdown. */
export function renderReport(d: ReportData): string {
  const c = d.config, s = d.summary;
  const newAxes = sweepsNewAxes(c);
  const label = (x: Partial<Coordinates>) => settingLabel(x, c);
  const out: string[] = [];
  out.push(`# identikit: what does the network think a digit looks like? — \`${c.name}\``);
  if (c.description) out.push("", c.description);
  out.push(
    "",
    `**${s.converged} of ${s.runs} runs** reached confidence ≥ ${c.target} (${
      pct(s.successRate)
    }). ` +
      `Rows: digits ${
        c.digits.join(", ")
      } (top to bottom); columns: runs, by seed, a board per setting.`,
    "",
    d.figures.includes("boards.svg")
      ? "![identikit boards](boards.svg)"
      : "![identikit grid](grid.png)",
    "",
    ...setupSection(d),
    "",
  );
  if (newAxes) {
    out.push(
      "## Strategies",
      "",
      "Each setting over all digits: runs reaching the target (95 % Wilson interval), digits whose every run converged, and evaluations to the target over converged runs (the base image included). Time is each run's share of the sweep's wall time (runs ran side by side in shared batches).",
      "",
      settingsTable(s, label),
      "",
      ...(d.figures.includes("evaluations.svg")
        ? ["![Evaluations to target per digit and setting](evaluations.svg)", ""]
        : []),
    );
  }
  out.push(
    "## Per digit",
    "",
    "Success rates with 95 % Wilson intervals; iteration and evaluation counts over converged runs.",
    "",
    newAxes ? summaryTable(s, { setting: label }) : summaryTable(s),
    "",
  );
  for (
    const [file, caption] of [
      ["success.svg", "Success rate per digit"],
      ["curves.svg", "Convergence"],
      // Sweeps of strategies show this one beside their comparison table.
      ...(newAxes ? [] : [["evaluations.svg", "Evaluations to target"]]),
    ]
  ) {
    if (d.figures.includes(file)) out.push(`![${caption}](${file})`, "");
  }
  if (d.transfer) out.push("## Judges", "", ...judgesSection(d), "");
  if (d.regimeMap) out.push(...regimeMapSection({ ...d, regimeMap: d.regimeMap }));
  out.push("## Against the seed experiment", "", ...seedComparison(d, label), "");
  out.push("## Where runs get stuck", "", ...stuckRuns(d.records, c, d), "");
  if (d.baseline) {
    out.push(
      "## Baseline: noise vs real digits",
      "",
      ...baselineSection(d.baseline, d.figures),
      "",
    );
  }
  if (d.likeness) out.push("## Within-class likeness", "", ...likenessSection(d.likeness), "");
  out.push(
    "## Files",
    "",
    "`config.json` resolved config and hashes · `runs.jsonl` one record per run · `summary.json` the statistics above · " +
      "`images/<cell>.png` each final image (exactly the scored pixels) · `boards.svg` the boards above, labelled, a board per setting · `grid.png` the same pixels in one image · " +
      "`*.svg` figures · `baseline.json` noise/real statistics.",
    "",
    `Rebuild this report with \`deno task report results/${c.name}\`.`,
    "",
  );
  return out.join("\n");
}

/** The setup table: model, provider, throughput, sweep, search and stop rules, hash. */
function setupSection(d: ReportData): string[] {
  const c = d.config, s = d.summary;
  const newAxes = sweepsNewAxes(c);
  return [
    "## Setup",
    "",
    "| | |",
    "| --- | --- |",
    `| model | \`${modelLabel(c.model)}\`${isExternal(c.model) ? " (external ONNX)" : ""}${
      d.model?.testAccuracy !== undefined ? `, test accuracy ${pct(d.model.testAccuracy, 2)}` : ""
    }${d.model?.epochs !== undefined ? ` (${d.model.epochs} epochs, seed ${d.model.seed})` : ""} |`,
    `| provider | \`${c.provider}\`${d.device ? ` on ${d.device}` : ""} |`,
    `| throughput | ${s.queriesPerSecond.toFixed(0)} network queries/s over ${
      s.totalQueries.toLocaleString("en-US")
    } network queries (images scored, each shifted copy and each model's counted), for ${
      s.totalEvaluations.toLocaleString("en-US")
    } evaluations (candidate images, as the records count them) |`,
    `| sweep | digits ${c.digits.join(", ")} × seeds ${formatSeeds(c.seeds)} × masks ${
      c.masks.join(", ")
    }${c.perturbations.length > 1 ? ` × ${c.perturbations.length} regimes` : ""}${
      c.strategies.length > 1 ? ` × ${c.strategies.length} strategies` : ""
    }${c.objectives.length > 1 ? ` × ${c.objectives.length} objectives` : ""} = ${s.runs} runs |`,
    newAxes
      ? `| search | from a ${c.base} image: ${
        c.strategies.map((spec) => `${strategyOf(spec).label(spec)} (${describeSpec(spec)})`)
          .join("; ")
      }; objective ${
        c.objectives.map((o) =>
          `${objectiveLabel(o)} (${OBJECTIVES[objectiveName(o)].description})`
        )
          .join(", ")
      } |`
      : `| search | greedy (elitist) from a ${c.base} image; each mask touches ${
        c.perturbations.map((p) => `${pct(p.density, 1)} of the pixels by up to ±${p.amplitude}`)
          .join(", or ")
      }${c.perturbations.length > 1 ? " (regimes swept)" : ""} |`,
    `| stop | confidence ≥ ${c.target}, or ${c.patience} iterations without improvement (stuck), or ${c.maxIterations} iterations${
      c.maxEvaluations === undefined
        ? ""
        : `, or ${c.maxEvaluations.toLocaleString("en-US")} images scored`
    } |`,
    `| config hash | \`${c.hash ?? "?"}\` |`,
  ];
}

/** The regime map: the figure, the regimes in which 7 and 9 are hardest, the closest budgets. */
function regimeMapSection(d: ReportData & { regimeMap: string[] }): string[] {
  return [
    "## The regime map",
    "",
    "Success per digit per regime (and model); the seed reported 7 → 50 % and 9 → 30 %.",
    "",
    ...(d.figures.includes("regimes.svg") ? ["![regime map](regimes.svg)", ""] : []),
    "Regimes in which 7 and 9 are the two hardest digits:",
    "",
    ...d.regimeMap,
    "",
    ...(d.budgets && d.budgets.length > 2
      ? [
        "The iteration budget under which each setting comes closest to the seed's 7 → 50 % and 9 → 30 % (read off the same runs: a run counts if it reached the target within the budget), closest first:",
        "",
        ...d.budgets,
        "",
      ]
      : []),
  ];
}

/** A strategy's parameters besides its name, e.g. "candidates 8, erase 0.3". */
function describeSpec(spec: object): string {
  const entries = Object.entries(spec).filter(([k]) => k !== "name");
  if (entries.length === 0) return "masks and perturbation from the top level";
  return entries.map(([k, v]) => `${k} ${Array.isArray(v) ? v.join("–") : v}`).join(", ");
}

function formatSeeds(seeds: number[]): string {
  const contiguous = seeds.every((v, i) => i === 0 || v === seeds[i - 1] + 1);
  return contiguous && seeds.length > 2 ? `${seeds[0]}…${seeds.at(-1)}` : seeds.join(", ");
}

function rateOf(
  s: Summary,
  digit: number,
  label: (group: Partial<Coordinates>) => string | number,
): string {
  const groups = s.groups.filter((g) => g.digit === digit);
  if (groups.length === 0) return "not in this sweep";
  return groups.map((g) => {
    const setting = label(g);
    return `${pct(g.successRate)} (${pct(g.wilsonLow)}–${pct(g.wilsonHigh)}) ${
      typeof setting === "number" ? `at ${setting} masks` : `with ${setting}`
    }`;
  }).join("; ");
}

function seedComparison(
  d: ReportData,
  label: (group: Partial<Coordinates>) => string | number,
): string[] {
  const s = d.summary, acc = d.model?.testAccuracy;
  const rows = [
    "| | the seed | here |",
    "| --- | --- | --- |",
    isExternal(d.config.model)
      ? `| accuracy of the model | ~${
        pct(SEED_FIGURES.cnnAccuracy, 1)
      } (the seed's CNN) | not measured here (external model) |`
      : d.config.model === "softmax"
      ? `| softmax regression accuracy | ~${pct(SEED_FIGURES.softmaxAccuracy)} | ${
        acc === undefined ? "?" : pct(acc, 2)
      } |`
      : `| CNN accuracy | ~${pct(SEED_FIGURES.cnnAccuracy, 1)} | ${
        acc === undefined ? "?" : pct(acc, 2)
      } |`,
    `| "most digits converge" | most | ${s.converged}/${s.runs} runs (${pct(s.successRate)}) |`,
    `| digit 7 reaches ${d.config.target} | 50 % of runs | ${rateOf(s, 7, label)} |`,
    `| digit 9 reaches ${d.config.target} | 30 % of runs | ${rateOf(s, 9, label)} |`,
  ];
  if (d.baseline) {
    rows.push(
      `| random images: max softmax rarely > 0.6 | rarely | ${
        pct(d.baseline.noise.above06, 1)
      } of 10,000 noise images > 0.6 |`,
      `| real digits: usually > 0.9 | usually | ${pct(d.baseline.mnist.above09, 1)} of ${
        d.baseline.mnist.images.toLocaleString("en-US")
      } test images > 0.9 |`,
    );
  }
  return rows;
}

/** How many failed runs the report lists one by one (the rest: runs.jsonl). */
export const LISTED_FAILURES = 20;

function stuckRuns(
  records: RunRecord[],
  c: ResolvedConfig,
  { stalls, plateaus }: Pick<ReportData, "stalls" | "plateaus">,
): string[] {
  const target = c.target;
  const failed = records.filter((r) => !r.converged).sort((a, b) =>
    a.digit - b.digit || a.seed - b.seed
  );
  if (failed.length === 0) return [`Every run reached ${target}.`];
  const listed = failed.slice(0, LISTED_FAILURES);
  const lines = [
    `${failed.length} run(s) did not reach ${target}. The strongest rival is the digit the network preferred after the target.`,
    "",
    ...(plateaus ? [...plateauTable(plateaus, c.patience), ""] : []),
    ...(stalls ? [...stallTable(stalls, target), ""] : []),
    failed.length > listed.length
      ? `The first ${listed.length} failed runs by digit and seed (all ${failed.length}: the records of runs.jsonl with \`"converged": false\`, or the studio's sweep page):`
      : "Every failed run:",
    "",
    "| run | outcome | iterations | final confidence | strongest rival |",
    "| --- | --- | ---: | ---: | --- |",
  ];
  for (const r of listed) {
    const rival = rivalOf(r);
    lines.push(
      `| ${r.cell} | ${
        r.stuck
          ? `stuck (no gain for the last ${r.iterations - r.lastImprovement} iterations)`
          : "iteration limit"
      } | ${r.iterations} | ${r.finalConfidence.toFixed(4)} | ${rival.digit} (${
        rival.p.toFixed(4)
      }) |`,
    );
  }
  return lines;
}

function baselineSection(b: Baseline, figures: string[]): string[] {
  const row = (name: string, x: Baseline["noise"]) =>
    `| ${name} | ${x.images.toLocaleString("en-US")} | ${x.mean.toFixed(3)} | ${
      x.median.toFixed(3)
    } | ${pct(x.above06, 1)} | ${pct(x.above09, 1)} | ${pct(x.above099, 1)} |`;
  const favourite = b.noise.argmaxCounts.indexOf(Math.max(...b.noise.argmaxCounts));
  return [
    "Maximum softmax of the network on images it was never meant to see (uniform noise) and on the real test set.",
    "",
    "| images | count | mean | median | > 0.6 | > 0.9 | > 0.99 |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    row("uniform noise", b.noise),
    row("MNIST test digits", b.mnist),
    "",
    `On noise the network most often answers **${favourite}** (${
      pct(b.noise.argmaxCounts[favourite] / b.noise.images, 1)
    } of noise images). ` +
    `The ONNX model classifies ${pct(b.mnistAccuracy, 2)} of the test digits correctly.`,
    "",
    ...(figures.includes("baseline.svg") ? ["![baseline](baseline.svg)"] : []),
  ];
}

function likenessSection(l: Likeness): string[] {
  const f = (x: number | null) => (x === null || Number.isNaN(x) ? "–" : x.toFixed(3));
  return [
    `Mean pairwise Pearson correlation of the final images: **${
      f(l.within)
    } within a digit** (${l.pairsWithin} pairs) vs **${
      f(l.across)
    } across digits** (${l.pairsAcross} pairs). ` +
    (l.within > l.across
      ? "Images found for the same digit resemble each other more than images found for other digits."
      : "Images found for the same digit do not resemble each other more than those of other digits."),
    "",
    "| digit | images | within | across |",
    "| ---: | ---: | ---: | ---: |",
    ...l.digits.map((d) => `| ${d.digit} | ${d.images} | ${f(d.within)} | ${f(d.across)} |`),
  ];
}

function judgesSection(d: ReportData): string[] {
  const lines = [
    "Judges took no part in the search: each looks at the final (8-bit) image and names a digit. " +
    "Model judges name their argmax; **nearest** names the label of the nearest of the 60,000 " +
    "training digits; **mean** the digit whose mean test image correlates best; **plausible** " +
    "counts an image only if its nearest training digit is as near as 95 % of real test digits' " +
    "are" +
    (d.reference
      ? ` (distance ≤ ${d.reference.p95.toFixed(2)}; real digits' median ${
        d.reference.median.toFixed(2)
      })`
      : "") +
    " and carries the target's label.",
    "",
    ...transferTable(d.transfer ?? []),
  ];
  const distances = d.records.flatMap((r) => {
    const v = r.judges?.nearest?.distance ?? r.judges?.plausible?.distance;
    return v === undefined ? [] : [v];
  });
  if (distances.length > 0) {
    const sorted = [...distances].sort((a, b) => a - b);
    lines.push(
      "",
      `Identikits' distance to their nearest training digit: median ${
        sorted[Math.floor((sorted.length - 1) / 2)].toFixed(2)
      } over ${sorted.length} images${
        d.reference
          ? `; ${
            pct(distances.filter((x) => x <= d.reference!.p95).length / distances.length)
          } within the real digits' 95th percentile`
          : ""
      }.`,
    );
  }
  if (d.figures.includes("distances.svg")) lines.push("", "![distances](distances.svg)");
  return lines;
}
