/** Convergence statistics over run records: success rates with Wilson intervals, quantiles. */

/** A perturbation regime, as in the config. */
export interface Regime {
  density: number;
  amplitude: number;
}

/** The fields of a run record that statistics need. */
export interface RunStats {
  digit: number;
  masks: number;
  /** The run's perturbation regime (groups split by it when several were swept). */
  perturbation?: Regime;
  converged: boolean;
  stuck: boolean;
  iterations: number;
  evaluations: number;
  finalConfidence: number;
  wallMs: number;
}

/** One digit × masks (× regime) group of `summary.json`. */
export interface GroupSummary {
  digit: number;
  masks: number;
  perturbation?: Regime;
  runs: number;
  converged: number;
  successRate: number;
  /** 95 % Wilson score interval of the success rate. */
  wilsonLow: number;
  wilsonHigh: number;
  stuck: number;
  /** Over converged runs; null when none converged. */
  iterationsMedian: number | null;
  iterationsP10: number | null;
  iterationsP90: number | null;
  evaluationsMedian: number | null;
  evaluationsP10: number | null;
  evaluationsP90: number | null;
  /** Over all runs. */
  finalConfidenceMedian: number;
}

/** `summary.json`. */
export interface Summary {
  runs: number;
  converged: number;
  successRate: number;
  totalEvaluations: number;
  /** Evaluations per second of search wall time, over all runs. */
  evaluationsPerSecond: number;
  groups: GroupSummary[];
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** The Wilson score interval for `successes` out of `n` (95 % by default). */
export function wilsonInterval(
  successes: number,
  n: number,
  { z = Z95 }: { z?: number } = {},
): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n, z2 = z * z;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** The q-quantile with linear interpolation between order statistics (R type 7, numpy default). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) throw new RangeError("Cannot take a quantile of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q, lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

const orNull = (values: number[], q: number): number | null =>
  values.length ? quantile(values, q) : null;

/** "5 % / ±0.5": a regime in a few characters. */
export function regimeLabel(p: Regime): string {
  return `${+(p.density * 100).toFixed(2)} % / ±${p.amplitude}`;
}

/** Groups records by digit × masks × regime (sorted that way) and summarizes each. */
export function summarize(records: RunStats[]): Summary {
  const groups = new Map<string, RunStats[]>();
  for (const r of records) {
    const key = `${r.digit}-${r.masks}-${r.perturbation?.density}-${r.perturbation?.amplitude}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const summaries = [...groups.values()].map((runs): GroupSummary => {
    const ok = runs.filter((r) => r.converged);
    const [wilsonLow, wilsonHigh] = wilsonInterval(ok.length, runs.length);
    const its = ok.map((r) => r.iterations), evs = ok.map((r) => r.evaluations);
    return {
      digit: runs[0].digit,
      masks: runs[0].masks,
      ...(runs[0].perturbation ? { perturbation: runs[0].perturbation } : {}),
      runs: runs.length,
      converged: ok.length,
      successRate: ok.length / runs.length,
      wilsonLow,
      wilsonHigh,
      stuck: runs.filter((r) => r.stuck).length,
      iterationsMedian: orNull(its, 0.5),
      iterationsP10: orNull(its, 0.1),
      iterationsP90: orNull(its, 0.9),
      evaluationsMedian: orNull(evs, 0.5),
      evaluationsP10: orNull(evs, 0.1),
      evaluationsP90: orNull(evs, 0.9),
      finalConfidenceMedian: quantile(runs.map((r) => r.finalConfidence), 0.5),
    };
  }).sort((a, b) =>
    a.digit - b.digit || a.masks - b.masks ||
    (a.perturbation?.density ?? 0) - (b.perturbation?.density ?? 0) ||
    (a.perturbation?.amplitude ?? 0) - (b.perturbation?.amplitude ?? 0)
  );
  const converged = records.filter((r) => r.converged).length;
  const totalEvaluations = records.reduce((s, r) => s + r.evaluations, 0);
  const wallSeconds = records.reduce((s, r) => s + r.wallMs, 0) / 1000;
  return {
    runs: records.length,
    converged,
    successRate: records.length ? converged / records.length : 0,
    totalEvaluations,
    evaluationsPerSecond: wallSeconds > 0 ? totalEvaluations / wallSeconds : 0,
    groups: summaries,
  };
}

/** The per-digit table as Markdown (printed at the end of a run and put in the report). */
export function summaryTable(summary: Summary): string {
  const f = (v: number | null, digits = 0) => v === null ? "–" : v.toFixed(digits);
  const regimes = new Set(summary.groups.map((g) => g.perturbation && regimeLabel(g.perturbation)));
  const showRegime = regimes.size > 1;
  const lines = [
    `| digit | masks |${
      showRegime ? " regime (pixels / amplitude) |" : ""
    } runs | converged | success rate (95 % CI) | stuck | iterations median [p10–p90] | evaluations median | median final confidence |`,
    `| ---: | ---: |${showRegime ? " --- |" : ""} ---: | ---: | --- | ---: | --- | ---: | ---: |`,
  ];
  for (const g of summary.groups) {
    const regime = showRegime ? ` ${g.perturbation ? regimeLabel(g.perturbation) : "–"} |` : "";
    lines.push(
      `| ${g.digit} | ${g.masks} |${regime} ${g.runs} | ${g.converged} | ${
        (g.successRate * 100).toFixed(0)
      } % (${(g.wilsonLow * 100).toFixed(0)}–${(g.wilsonHigh * 100).toFixed(0)} %) | ${g.stuck} | ${
        f(g.iterationsMedian)
      } [${f(g.iterationsP10)}–${f(g.iterationsP90)}] | ${f(g.evaluationsMedian)} | ${
        g.finalConfidenceMedian.toFixed(4)
      } |`,
    );
  }
  return lines.join("\n");
}
