/** The report's tables as Markdown, from the analyses' numbers (rendering only). */

import type { GroupSummary, SettingSummary, Summary } from "../analysis/statistics.ts";
import { RECENT, STALL_PICTURES, type StallRow } from "../analysis/stalls.ts";
import { PLATEAU_WINDOW, type PlateauRow } from "../analysis/plateaus.ts";
import type { TransferRow } from "../analysis/transfer.ts";
import type { BudgetMatch } from "../analysis/regime_map.ts";
import { regimeLabel } from "../sweep/axes.ts";

/** A share as a whole percentage, e.g. "42 %". */
const percent = (x: number) => `${Math.round(x * 100)} %`;

/**
 * The strategy comparison as Markdown: one row per setting (strategy × objective × …) over all
 * digits; `label` names each setting.
 */
export function settingsTable(
  summary: Summary,
  label: (setting: SettingSummary) => string | number,
): string {
  const f = (v: number | null) => (v === null ? "–" : v.toFixed(0));
  const lines = [
    "| setting | runs | converged (95 % CI) | digits all converged | evaluations median | p90 | worst digit's median | worst digit's p90 (all runs) | ms per converged image (median) |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of summary.settings) {
    lines.push(
      `| ${label(s)} | ${s.runs} | ${s.converged} = ${(s.successRate * 100).toFixed(0)} % (${
        (s.wilsonLow * 100).toFixed(0)
      }–${(s.wilsonHigh * 100).toFixed(0)} %) | ${s.digitsAllConverged}/${s.digits} | ${
        f(s.evaluationsMedian)
      } | ${f(s.evaluationsP90)} | ${f(s.worstDigitEvaluationsMedian)} | ${
        s.worstDigitEvaluationsP90 === null ? "∞" : f(s.worstDigitEvaluationsP90)
      } | ${f(s.msMedian)} |`,
    );
  }
  return lines.join("\n");
}

/**
 * The per-digit table as Markdown (printed at the end of a run and put in the report). With
 * `setting`, one column names each group's setting (for sweeps of strategies or objectives).
 */
export function summaryTable(
  summary: Summary,
  options: { setting?: (group: GroupSummary) => string | number } = {},
): string {
  const f = (v: number | null, digits = 0) => v === null ? "–" : v.toFixed(digits);
  const regimes = new Set(summary.groups.map((g) => g.perturbation && regimeLabel(g.perturbation)));
  const showRegime = regimes.size > 1 && !options.setting;
  const settingHeader = options.setting ? "setting" : "masks";
  const lines = [
    `| digit | ${settingHeader} |${
      showRegime ? " regime (pixels / amplitude) |" : ""
    } runs | converged | success rate (95 % CI) | stuck | iterations median [p10–p90] | evaluations median | median final confidence |`,
    `| ---: | ---: |${showRegime ? " --- |" : ""} ---: | ---: | --- | ---: | --- | ---: | ---: |`,
  ];
  for (const g of summary.groups) {
    const regime = showRegime ? ` ${g.perturbation ? regimeLabel(g.perturbation) : "–"} |` : "";
    lines.push(
      `| ${g.digit} | ${
        options.setting ? options.setting(g) : g.masks
      } |${regime} ${g.runs} | ${g.converged} | ${(g.successRate * 100).toFixed(0)} % (${
        (g.wilsonLow * 100).toFixed(0)
      }–${(g.wilsonHigh * 100).toFixed(0)} %) | ${g.stuck} | ${f(g.iterationsMedian)} [${
        f(g.iterationsP10)
      }–${f(g.iterationsP90)}] | ${f(g.evaluationsMedian)} | ${
        g.finalConfidenceMedian.toFixed(4)
      } |`,
    );
  }
  return lines.join("\n");
}

/**
 * Local optimum or budget, per network and setting: how the runs that missed the target ended,
 * read off their trajectories (the same whatever the config's patience, as long as it is at
 * least the window).
 */
export function plateauTable(rows: PlateauRow[], patience: number): string[] {
  const w = PLATEAU_WINDOW;
  const pc = (x: number) => `${Math.round(x * 100)}`;
  return [
    `A run hit a **local optimum** under its move set when its last ${w} iterations (${w} × K candidates, K per step) brought no improvement; it **ran out of budget** when it improved within them (still rising: in its last 10). A flat stretch of ${w} that a run later left counts as **escaped**.${
      patience < w
        ? ` This sweep's patience (${patience}) stops runs sooner: those are "cut" and cannot tell.`
        : ""
    }`,
    "",
    `| network | setting | K | runs | reached target | local optimum (95 % CI) | out of budget (still rising) | cut by patience | escaped a ${w}-flat stretch | longest flat stretch of failed runs, median / max |`,
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.network} | ${r.setting} | ${
        Math.round(r.candidates)
      } | ${r.runs} | ${r.converged} | ${r.optimum} (${pc(r.optimumLow)}–${
        pc(r.optimumHigh)
      } %) | ${r.budget} (${r.rising}) | ${r.cut} | ${r.escaped} | ${
        r.longestMedian === null ? "–" : `${r.longestMedian} / ${r.longestMax}`
      } |`
    ),
  ];
}

/** The report's table of stalled digits (one line per row of stalls.png). */
export function stallTable(rows: StallRow[], target: number): string[] {
  const f = (x: number) => x.toFixed(3);
  return [
    `| digit | failed / runs | stuck | at the limit (still rising) | their gain over the last ${RECENT} iterations (median) | final p(target) / p(rival), medians | rival's share of 1 − p(target) | rivals (pictured in this order) |`,
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((r) =>
      `| ${r.digit} | ${r.failed} / ${r.runs} | ${r.stuck} | ${r.atLimit} (${r.rising}) | ${
        f(r.medianRecentGain)
      } | ${f(r.medianTarget)} / ${f(r.medianRival)} | ${
        Math.round(r.medianRivalShare * 100)
      } % | ${r.rivals.map((x) => `${x.digit} ×${x.count}`).join(", ")} |`
    ),
    "",
    `![the failed runs' final images: a row per digit above, grouped by rival](stalls.png)`,
    "",
    `stalls.png: a row per digit above, the final images of its failed runs (the first ${STALL_PICTURES}, of every setting, grouped by rival in the order listed, then by seed); none reached ${target}.`,
  ];
}

/** The transfer table as Markdown: one row per setting × judge, a column per digit. */
export function transferTable(rows: TransferRow[]): string[] {
  if (rows.length === 0) return [];
  const digits = [...new Set(rows.flatMap((r) => r.digits.map((d) => d.digit)))].sort();
  return [
    `| setting | judge | called the target (95 % CI) | ${
      digits.map((d) => `${d}`).join(" | ")
    } | worst digit |`,
    `| --- | --- | --- | ${digits.map(() => "---:").join(" | ")} | ---: |`,
    ...rows.map((r) => {
      const per = digits.map((d) => r.digits.find((x) => x.digit === d));
      const worst = Math.min(...per.filter((x) => x).map((x) => x!.called / x!.runs));
      return `| ${r.setting} | ${r.judge} | ${r.called}/${r.runs} = ${
        percent(r.called / r.runs)
      } (${percent(r.interval[0])}–${percent(r.interval[1])}) | ${
        per.map((x) => (x ? percent(x.called / x.runs) : "–")).join(" | ")
      } | ${percent(worst)} |`;
    }),
  ];
}

/** The report's table of {@linkcode closestBudgets}, the `limit` closest settings. */
export function budgetTable(matches: BudgetMatch[], limit = 8): string[] {
  return [
    "| setting | budget (iterations) | 7 | 9 | other digits: lowest | other digits: median |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...matches.slice(0, limit).map((m) =>
      `| ${m.setting} | ${m.budget} | ${percent(m.seven)} | ${percent(m.nine)} | ${
        percent(m.lowest)
      } (digit ${m.lowestDigit}) | ${percent(m.median)} |`
    ),
  ];
}
