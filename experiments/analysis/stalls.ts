/**
 * The runs that did not reach the target, per digit: how they ended (stuck, or stopped at the
 * iteration limit while still rising), which rival digit holds them back, and the order of
 * their pictures in stalls.png. Pure: records in, rows out.
 */

import { quantile } from "./statistics.ts";

/** What of a record this needs. */
export interface StallRecord {
  cell: string;
  /** The record's image file (what stalls.png pictures; cell ids can repeat, images never). */
  image: string;
  digit: number;
  seed: number;
  converged: boolean;
  stuck: boolean;
  iterations: number;
  initialConfidence: number;
  finalConfidence: number;
  finalProbabilities: number[];
  trajectory: number[];
}

/** One digit's failed runs. */
export interface StallRow {
  digit: number;
  /** All runs of the digit, failed or not. */
  runs: number;
  failed: number;
  /** Stopped because nothing improved for `patience` iterations: a local optimum. */
  stuck: number;
  /** Stopped at the limit (`maxIterations`, or `maxEvaluations` where set) while not stuck. */
  atLimit: number;
  /** Of those at the limit: still improving in their last {@linkcode RECENT} iterations. */
  rising: number;
  /** Of those at the limit: median gain of the target's probability over their last RECENT. */
  medianRecentGain: number;
  /** Rival digits (the network's choice after the target) with their counts, most common first. */
  rivals: { digit: number; count: number }[];
  /** Median final probability of the target and of the rival. */
  medianTarget: number;
  medianRival: number;
  /** Median share of the rival in what the target lacks: p(rival) / (1 − p(target)). */
  medianRivalShare: number;
  /** Images pictured in stalls.png's row for this digit, in order (grouped by rival). */
  pictured: string[];
}

/** How many failed runs of a digit stalls.png shows. */
export const STALL_PICTURES = 16;

/** How many final iterations tell "still rising" from a plateau. */
export const RECENT = 10;

/** The digit the network prefers after the target, and its probability. */
export function rivalOf(r: Pick<StallRecord, "digit" | "finalProbabilities">): {
  digit: number;
  p: number;
} {
  let digit = -1, p = -1;
  r.finalProbabilities.forEach((q, k) => {
    if (k !== r.digit && q > p) [digit, p] = [k, q];
  });
  return { digit, p };
}

/**
 * Gain of the best confidence over the last `RECENT` iterations of a run (`trajectory[k]` is the
 * best after step k + 1); a run of at most RECENT steps counts from its starting image.
 */
export function recentGain(r: Pick<StallRecord, "trajectory" | "initialConfidence">): number {
  const t = r.trajectory;
  if (t.length === 0) return 0;
  const before = t.length > RECENT ? t[t.length - 1 - RECENT] : r.initialConfidence;
  return t[t.length - 1] - before;
}

/**
 * Per digit with failed runs, in digit order; `perRow` caps the pictured runs of a digit
 * (the most common rival's first, then by seed).
 */
export function stallRows(records: StallRecord[], perRow = STALL_PICTURES): StallRow[] {
  const digits = [...new Set(records.map((r) => r.digit))].sort((a, b) => a - b);
  const rows: StallRow[] = [];
  for (const digit of digits) {
    const all = records.filter((r) => r.digit === digit);
    const failed = all.filter((r) => !r.converged);
    if (failed.length === 0) continue;
    const rivalOfRun = new Map(failed.map((r) => [r, rivalOf(r)]));
    const counts = new Map<number, number>();
    for (const { digit: k } of rivalOfRun.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
    const rivals = [...counts].map(([d, count]) => ({ digit: d, count }))
      .sort((a, b) => b.count - a.count || a.digit - b.digit);
    const rank = new Map(rivals.map((x, i) => [x.digit, i]));
    const rankOf = (r: StallRecord) => rank.get(rivalOfRun.get(r)!.digit)!;
    const atLimit = failed.filter((r) => !r.stuck);
    const pictured = [...failed].sort((a, b) =>
      rankOf(a) - rankOf(b) || a.seed - b.seed || (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0)
    ).slice(0, perRow).map((r) => r.image);
    rows.push({
      digit,
      runs: all.length,
      failed: failed.length,
      stuck: failed.length - atLimit.length,
      atLimit: atLimit.length,
      rising: atLimit.filter((r) => recentGain(r) > 0).length,
      medianRecentGain: atLimit.length > 0 ? quantile(atLimit.map(recentGain), 0.5) : 0,
      rivals,
      medianTarget: quantile(failed.map((r) => r.finalConfidence), 0.5),
      medianRival: quantile(failed.map((r) => rivalOfRun.get(r)!.p), 0.5),
      medianRivalShare: quantile(
        failed.map((r) => rivalOfRun.get(r)!.p / Math.max(1e-12, 1 - r.finalConfidence)),
        0.5,
      ),
      pictured,
    });
  }
  return rows;
}
