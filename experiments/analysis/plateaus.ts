/**
 * Local optimum or budget: how each run that missed the target ended, read off its trajectory
 * whatever the config's patience, and the shares per network and setting. A run hit a local
 * optimum under its move set when its last {@linkcode PLATEAU_WINDOW} iterations (window × K
 * candidates, K per step) brought no improvement; it ran out of budget when it was still
 * improving within them. A flat stretch as long that a run later left is a plateau it escaped.
 * Pure: records in, rows out.
 */

import { quantile, wilsonInterval } from "./statistics.ts";
import { recentGain } from "./stalls.ts";

/** Iterations without improvement that count as a local optimum (the seed-like patience). */
export const PLATEAU_WINDOW = 50;

/** What of a record this needs. */
export interface PlateauRecord {
  converged: boolean;
  stuck: boolean;
  iterations: number;
  evaluations: number;
  lastImprovement: number;
  initialConfidence: number;
  trajectory: number[];
  masks?: number;
  /** Latent strategies count improvement from their first drawing, not from the base. */
  strategy?: { name: string };
}

/** A run's stretches without improvement, in iterations. */
export interface FlatStretches {
  /** The longest, the last one included. */
  longest: number;
  /** The one the run ended in: iterations since its last improvement. */
  last: number;
  /** Stretches of at least the window that an improvement ended (plateaus left). */
  escaped: number;
}

/**
 * The flat stretches of a run. `trajectory[k]` is the best target confidence after step k + 1,
 * rounded to 6 decimals as records store it, so a gain below 5e-7 reads as none; the last
 * stretch comes from the record's exact `lastImprovement`, which follows the objective. For the
 * seed's objective (probability, one model) the two agree; for others (margin, ensembles,
 * penalties) the earlier stretches are those of the confidence.
 */
export function flatStretches(r: PlateauRecord, window = PLATEAU_WINDOW): FlatStretches {
  // A latent search keeps only what its decoder drew: its first step is never "flat".
  let best = r.strategy?.name === "latent"
    ? -Infinity
    : Math.round(r.initialConfidence * 1e6) / 1e6;
  let run = 0, longest = 0, escaped = 0;
  for (const value of r.trajectory) {
    if (value > best) {
      if (run >= window) escaped++;
      best = value;
      run = 0;
    } else {
      run++;
      longest = Math.max(longest, run);
    }
  }
  const last = r.iterations - r.lastImprovement;
  return { longest: Math.max(longest, last), last, escaped };
}

/** How a run that missed the target ended. */
export type Ending = "optimum" | "budget" | "cut";

/**
 * `optimum`: no improvement in its last `window` iterations; `budget`: it improved within them;
 * `cut`: the config's patience stopped it sooner than `window` flat iterations, so it cannot
 * tell (run it with patience ≥ window).
 */
export function endingOf(
  r: Pick<PlateauRecord, "iterations" | "lastImprovement" | "stuck">,
  window = PLATEAU_WINDOW,
): Ending {
  // The stretch a run ended in needs no trajectory: the iterations since its last improvement.
  if (r.iterations - r.lastImprovement >= window) return "optimum";
  return r.stuck ? "cut" : "budget";
}

/** One network × setting. */
export interface PlateauRow {
  network: string;
  setting: string;
  runs: number;
  converged: number;
  /** Failed runs that ended in a local optimum, with the share's 95 % Wilson interval (of all runs). */
  optimum: number;
  optimumLow: number;
  optimumHigh: number;
  /** Failed runs that ran out of budget, and of those how many improved in their last 10 iterations. */
  budget: number;
  rising: number;
  /** Failed runs patience stopped before the window. */
  cut: number;
  /** Runs (failed or not) that left a flat stretch of at least the window. */
  escaped: number;
  /** Candidates per step (masks, or evaluations per iteration for other strategies), median. */
  candidates: number;
  /** Longest flat stretch of the failed runs: median and max (null: none failed). */
  longestMedian: number | null;
  longestMax: number | null;
}

/** Runs grouped per network and setting, in first-seen order. */
export function plateauRows(
  runs: (PlateauRecord & { network: string; setting: string })[],
  window = PLATEAU_WINDOW,
): PlateauRow[] {
  const groups = new Map<string, (typeof runs)>();
  for (const r of runs) {
    const key = `${r.network}\u0000${r.setting}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((group) => {
    const failed = group.filter((r) => !r.converged);
    const endings = failed.map((r) => endingOf(r, window));
    const count = (e: Ending) => endings.filter((x) => x === e).length;
    const budget = failed.filter((_, i) => endings[i] === "budget");
    const optimum = count("optimum");
    const [low, high] = wilsonInterval(optimum, group.length);
    // Each run's trajectory walked once.
    const stretches = new Map(group.map((r) => [r, flatStretches(r, window)]));
    const longest = failed.map((r) => stretches.get(r)!.longest);
    return {
      network: group[0].network,
      setting: group[0].setting,
      runs: group.length,
      converged: group.length - failed.length,
      optimum,
      optimumLow: low,
      optimumHigh: high,
      budget: budget.length,
      rising: budget.filter((r) => recentGain(r) > 0).length,
      cut: count("cut"),
      escaped: group.filter((r) => stretches.get(r)!.escaped > 0).length,
      candidates: quantile(
        group.map((r) => r.masks ?? (r.evaluations - 1) / Math.max(1, r.iterations)),
        0.5,
      ),
      longestMedian: longest.length > 0 ? quantile(longest, 0.5) : null,
      longestMax: longest.length > 0 ? Math.max(...longest) : null,
    };
  });
}
