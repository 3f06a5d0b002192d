/** Convergence statistics over run records: success rates with Wilson intervals, quantiles. */

import { regimeLabel, settingKey } from "../sweep/axes.ts";
import type { ObjectiveChoice } from "../search/objectives.ts";
import type { StrategySpec } from "../search/strategies/strategy.ts";
import type { Perturbation } from "../search/strategies/greedy.ts";

export { regimeLabel };

/** A perturbation regime, as in the config (with its family and clipping). */
export type Regime = Perturbation;

import type { RunStats } from "../store/records.ts";

/** What tells runs apart besides the digit: the mask count, or a label with the regime. */
export type Setting = number | string;

/** The seed experiment's reported success rates (7: half the runs, 9: a third). */
export const SEED_SUCCESS = [{ digit: 7, rate: 0.5 }, { digit: 9, rate: 0.3 }];

/** What tells runs apart besides digit and seed (absent fields: greedy's, probability). */
export interface SettingFields {
  masks?: number;
  perturbation?: Regime;
  strategy?: StrategySpec;
  objective?: ObjectiveChoice;
}

/** Runs and how many reached the target. */
export interface Success {
  runs: number;
  converged: number;
  successRate: number;
  /** 95 % Wilson score interval of the success rate. */
  wilsonLow: number;
  wilsonHigh: number;
}

/** One digit × setting (strategy, masks, regime, objective) group of `summary.json`. */
export interface GroupSummary extends SettingFields, Success {
  digit: number;
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
  /** Evaluations (candidate images, the base included, as records count them) of all runs. */
  totalEvaluations: number;
  /**
   * Network queries (images each model scored, shifted copies and decoder renders included):
   * the sweep's own count over all its run segments, else the runs' `queries ?? evaluations`.
   */
  totalQueries: number;
  /**
   * Network queries per second of the sweep's elapsed time, over all its run segments (for a
   * sharded sweep: per process). Folders without segments: per second of the runs' summed
   * wall times. The throughput every rate of identikit states.
   */
  queriesPerSecond: number;
  /** `totalEvaluations` per second of the same time: candidates, not network queries. */
  evaluationsPerSecond: number;
  groups: GroupSummary[];
  /** One row per setting over all digits: the strategy comparison. */
  settings: SettingSummary[];
}

/** All digits of one setting (strategy × masks × regime × objective). */
export interface SettingSummary extends SettingFields, Success {
  /** Digits of this setting, and those whose every run converged. */
  digits: number;
  digitsAllConverged: number;
  /** Over converged runs; null when none converged. */
  evaluationsMedian: number | null;
  evaluationsP90: number | null;
  /** The largest per-digit median of evaluations (converged runs); null if a digit has none. */
  worstDigitEvaluationsMedian: number | null;
  /** The largest per-digit p90 of evaluations over all runs (a run that failed counts as ∞). */
  worstDigitEvaluationsP90: number | null;
  /** Median milliseconds per converged image: the run's share of the sweep's time, else its wall time. */
  msMedian: number | null;
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

/**
 * Groups records by digit × setting (masks, regime, strategy, objective; sorted by digit, then
 * masks and regime, then strategy and objective) and summarizes each.
 */
export function summarize(
  records: RunStats[],
  options: {
    /** Setting keys (see `settingKey`) in the config's order; groups follow it within a digit. */
    order?: string[];
    /** The sweep's own count of network queries and its elapsed time (all run segments). */
    sweep?: { queries: number; elapsedMs: number };
  } = {},
): Summary {
  const rank = new Map((options.order ?? []).map((key, i) => [key, i]));
  const orderOf = (g: GroupSummary) => rank.get(settingKey(g)) ?? rank.size;
  const groups = new Map<string, RunStats[]>();
  for (const r of records) {
    const key = `${r.digit}|${settingKey(r)}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const summaries = [...groups.values()].map((runs): GroupSummary => {
    const ok = runs.filter((r) => r.converged);
    const its = ok.map((r) => r.iterations), evs = ok.map((r) => r.evaluations);
    return {
      digit: runs[0].digit,
      ...settingOf(runs[0]),
      ...success(runs),
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
    a.digit - b.digit || orderOf(a) - orderOf(b) || (a.masks ?? 0) - (b.masks ?? 0) ||
    (a.perturbation?.density ?? 0) - (b.perturbation?.density ?? 0) ||
    (a.perturbation?.amplitude ?? 0) - (b.perturbation?.amplitude ?? 0) ||
    compareText(a.strategy?.name ?? "", b.strategy?.name ?? "") ||
    compareText(settingKey(a), settingKey(b))
  );
  const converged = records.filter((r) => r.converged).length;
  const totalEvaluations = records.reduce((s, r) => s + r.evaluations, 0);
  // The sweep's own clock when it was recorded; else (folders of older versions) the runs' wall
  // times, which overlap when cells shared batches and so understate the rate.
  const seconds = options.sweep
    ? options.sweep.elapsedMs / 1000
    : records.reduce((s, r) => s + r.wallMs, 0) / 1000;
  const totalQueries = options.sweep
    ? options.sweep.queries
    : records.reduce((s, r) => s + (r.queries ?? r.evaluations), 0);
  const perSecond = (n: number) => (seconds > 0 ? n / seconds : 0);
  return {
    runs: records.length,
    converged,
    successRate: records.length ? converged / records.length : 0,
    totalEvaluations,
    totalQueries,
    queriesPerSecond: perSecond(totalQueries),
    evaluationsPerSecond: perSecond(totalEvaluations),
    groups: summaries,
    settings: summarizeSettings(summaries, records),
  };
}

/** The setting fields a run has (only those present). */
function settingOf(r: SettingFields): SettingFields {
  return {
    ...(r.masks !== undefined ? { masks: r.masks } : {}),
    ...(r.perturbation ? { perturbation: r.perturbation } : {}),
    ...(r.strategy ? { strategy: r.strategy } : {}),
    ...(r.objective ? { objective: r.objective } : {}),
  };
}

/** Success counts with their Wilson interval. */
function success(runs: RunStats[]): Success {
  const converged = runs.filter((r) => r.converged).length;
  const [wilsonLow, wilsonHigh] = wilsonInterval(converged, runs.length);
  return {
    runs: runs.length,
    converged,
    successRate: converged / runs.length,
    wilsonLow,
    wilsonHigh,
  };
}

/** One row per setting over all digits, in the order of the groups' settings. */
function summarizeSettings(groups: GroupSummary[], records: RunStats[]): SettingSummary[] {
  const bySetting = new Map<string, RunStats[]>();
  for (const g of groups) bySetting.set(settingKey(g), []);
  for (const r of records) bySetting.get(settingKey(r))!.push(r);
  return [...bySetting.entries()].map(([key, runs]) => {
    const ok = runs.filter((r) => r.converged);
    const own = groups.filter((g) => settingKey(g) === key);
    const medians = own.map((g) => g.evaluationsMedian);
    const evs = ok.map((r) => r.evaluations);
    return {
      ...settingOf(runs[0]),
      ...success(runs),
      digits: own.length,
      digitsAllConverged: own.filter((g) => g.converged === g.runs).length,
      evaluationsMedian: orNull(evs, 0.5),
      evaluationsP90: orNull(evs, 0.9),
      worstDigitEvaluationsMedian: medians.some((m) => m === null)
        ? null
        : Math.max(...(medians as number[])),
      worstDigitEvaluationsP90: worstP90(runs),
      msMedian: orNull(ok.map((r) => r.shareMs ?? r.wallMs), 0.5),
    };
  });
}

/** The largest per-digit p90 of evaluations, a failed run counting as ∞ (then null). */
function worstP90(runs: RunStats[]): number | null {
  const digits = [...new Set(runs.map((r) => r.digit))];
  const p90s = digits.map((d) =>
    quantile(
      runs.filter((r) => r.digit === d).map((r) => (r.converged ? r.evaluations : Infinity)),
      0.9,
    )
  );
  const worst = Math.max(...p90s);
  return Number.isFinite(worst) ? worst : null;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
