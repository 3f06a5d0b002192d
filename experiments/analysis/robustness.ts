/**
 * How robust a strategy's figures are to the choice of seeds: from many seeds per digit, the
 * chance that a random set of `size` seeds keeps every digit's median (and p90) of evaluations
 * within limits, estimated by drawing seed sets with a seeded PRNG; and the same check for
 * given seed sets. Pure functions over records; `cli/robustness.ts` reads the folder.
 */

import type { Prng } from "../../common/prng.ts";
import { quantile, wilsonInterval } from "./statistics.ts";

/** What a record contributes: its digit, seed, and evaluations if it converged. */
export interface RobustnessRun {
  digit: number;
  seed: number;
  converged: boolean;
  evaluations: number;
}

/** The limits every digit's figures must stay within (evaluations to target). */
export interface RobustnessLimits {
  /** The largest allowed median of a digit's runs in the set. */
  median: number;
  /** The largest allowed p90 (absent: not checked). */
  p90?: number;
}

/**
 * Limits the README states for the targets it measures (sketch's goals in issue 9): at 0.99 a
 * median of 100 and a p90 of 300 evaluations per digit, at 0.9999 300 and 1,000.
 */
export const DEFAULT_LIMITS: ReadonlyMap<number, Required<RobustnessLimits>> = new Map([
  [0.99, { median: 100, p90: 300 }],
  [0.9999, { median: 300, p90: 1000 }],
]);

/** Options for {@linkcode estimateRobustness}. */
export interface RobustnessOptions {
  /** Seeds per set (the same seeds for every digit, as a config's `seeds` gives them). */
  size: number;
  /** How many random sets to draw. */
  sets: number;
  limits: RobustnessLimits;
  prng: Prng;
  /**
   * Bootstrap resamples of the pool of seeds (drawn with replacement) for an interval that also
   * covers which seeds happen to be in the folder; 0 or absent: none.
   */
  poolResamples?: number;
}

/** One digit's figures over a seed set. */
export interface DigitFigures {
  digit: number;
  /** Median evaluations, a failed run counting as ∞. */
  median: number;
  /** p90 of evaluations, a failed run counting as ∞. */
  p90: number;
}

/** The estimate: how many of the drawn sets kept every digit within the limits. */
export interface RobustnessEstimate {
  digits: number[];
  /** Seeds that every digit has: the pool sets are drawn from. */
  pool: number;
  size: number;
  sets: number;
  /** Sets in which every digit stayed within the limits. */
  within: number;
  probability: number;
  /** 95 % Wilson interval of `probability` (the error of drawing `sets` sets, not of the pool). */
  wilsonLow: number;
  wilsonHigh: number;
  /**
   * 95 % bootstrap percentile interval over `poolResamples` resampled pools (each estimated
   * from `sets` sets after the main estimate, from the same PRNG); absent without resamples.
   */
  poolInterval?: [number, number];
  /** Per digit, in how many sets it broke a limit. */
  overByDigit: { digit: number; sets: number }[];
  /** Quantiles over the sets of the worst digit's median: p10, p50, p90. */
  worstMedian: [number, number, number];
}

/** Runs by digit and seed; a digit × seed given twice is an error. */
function indexRuns(runs: RobustnessRun[]): Map<number, Map<number, RobustnessRun>> {
  const byDigit = new Map<number, Map<number, RobustnessRun>>();
  for (const run of runs) {
    if (!byDigit.has(run.digit)) byDigit.set(run.digit, new Map());
    const seeds = byDigit.get(run.digit)!;
    if (seeds.has(run.seed)) {
      throw new RangeError(
        `Cannot estimate robustness: digit ${run.digit} has two runs of seed ${run.seed} (give the records of one setting)`,
      );
    }
    seeds.set(run.seed, run);
  }
  return byDigit;
}

/** The seeds every digit has, ascending. */
export function commonSeeds(runs: RobustnessRun[]): number[] {
  const byDigit = [...indexRuns(runs).values()];
  if (byDigit.length === 0) return [];
  return [...byDigit[0].keys()].filter((s) => byDigit.every((m) => m.has(s))).sort((a, b) => a - b);
}

/** A quantile of evaluations where a failed run counts as ∞ (then the quantile may be ∞). */
function evaluationsQuantile(runs: RobustnessRun[], q: number): number {
  const values = runs.map((r) => (r.converged ? r.evaluations : Infinity));
  const value = quantile(values, q);
  // Interpolating between two failures gives ∞ − ∞ = NaN: that quantile is ∞ too.
  return Number.isNaN(value) ? Infinity : value;
}

/** Each digit's median and p90 over the given seeds (every digit must have each seed). */
export function seedSetFigures(runs: RobustnessRun[], seeds: number[]): DigitFigures[] {
  return figuresOf(indexRuns(runs), seeds);
}

function figuresOf(
  byDigit: Map<number, Map<number, RobustnessRun>>,
  seeds: number[],
): DigitFigures[] {
  return [...byDigit.keys()].sort((a, b) => a - b).map((digit) => {
    const own = seeds.map((seed) => {
      const run = byDigit.get(digit)!.get(seed);
      if (!run) {
        throw new RangeError(`Cannot check seed set: digit ${digit} has no run of seed ${seed}`);
      }
      return run;
    });
    return {
      digit,
      median: evaluationsQuantile(own, 0.5),
      p90: evaluationsQuantile(own, 0.9),
    };
  });
}

/** Whether a digit's figures are within the limits. */
export function withinLimits(figures: DigitFigures, limits: RobustnessLimits): boolean {
  return figures.median <= limits.median && (limits.p90 === undefined || figures.p90 <= limits.p90);
}

/**
 * Draws `sets` random sets of `size` seeds (without replacement, from the seeds every digit
 * has) and counts those in which every digit's median and p90 stay within the limits.
 */
export function estimateRobustness(
  runs: RobustnessRun[],
  options: RobustnessOptions,
): RobustnessEstimate {
  const { size, sets, limits, prng } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(
      `Cannot estimate robustness: size must be a positive integer, received ${size}`,
    );
  }
  if (!Number.isInteger(sets) || sets < 1) {
    throw new RangeError(
      `Cannot estimate robustness: sets must be a positive integer, received ${sets}`,
    );
  }
  const byDigit = indexRuns(runs);
  const pool = commonSeeds(runs);
  if (pool.length < size) {
    throw new RangeError(
      `Cannot estimate robustness: sets of ${size} seeds need at least ${size} seeds that every digit has, found ${pool.length}`,
    );
  }
  const digits = [...new Set(runs.map((r) => r.digit))].sort((a, b) => a - b);
  const over = new Map(digits.map((d) => [d, 0]));
  const worstMedians: number[] = [];
  const within = drawSets(byDigit, pool, { size, sets, limits, prng }, (figures) => {
    for (const f of figures) {
      if (!withinLimits(f, limits)) over.set(f.digit, over.get(f.digit)! + 1);
    }
    worstMedians.push(Math.max(...figures.map((f) => f.median)));
  });
  let poolInterval: [number, number] | undefined;
  if (options.poolResamples) {
    const estimates: number[] = [];
    for (let b = 0; b < options.poolResamples; b++) {
      const resampled = pool.map(() => pool[prng.nextInt(pool.length)]);
      estimates.push(drawSets(byDigit, resampled, { size, sets, limits, prng }) / sets);
    }
    poolInterval = [quantile(estimates, 0.025), quantile(estimates, 0.975)];
  }
  const [wilsonLow, wilsonHigh] = wilsonInterval(within, sets);
  const worst = (q: number) => evaluationsQuantile(worstMedians.map(asRun), q);
  return {
    digits,
    pool: pool.length,
    size,
    sets,
    within,
    probability: within / sets,
    wilsonLow,
    wilsonHigh,
    ...(poolInterval ? { poolInterval } : {}),
    overByDigit: digits.map((digit) => ({ digit, sets: over.get(digit)! })),
    worstMedian: [worst(0.1), worst(0.5), worst(0.9)],
  };
}

/**
 * Draws `sets` sets of `size` entries of `pool` (a partial Fisher–Yates per set: distinct
 * positions, uniformly) and counts those where every digit is within the limits; `visit` sees
 * each set's figures.
 */
function drawSets(
  byDigit: Map<number, Map<number, RobustnessRun>>,
  pool: number[],
  o: { size: number; sets: number; limits: RobustnessLimits; prng: Prng },
  visit?: (figures: DigitFigures[], within: boolean) => void,
): number {
  const order = [...pool];
  let within = 0;
  for (let s = 0; s < o.sets; s++) {
    for (let i = 0; i < o.size; i++) {
      const j = i + o.prng.nextInt(order.length - i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const figures = figuresOf(byDigit, order.slice(0, o.size));
    const all = figures.every((f) => withinLimits(f, o.limits));
    if (all) within++;
    visit?.(figures, all);
  }
  return within;
}

/** A value as a run, so that ∞ stays a failure in {@linkcode evaluationsQuantile}. */
function asRun(value: number): RobustnessRun {
  return { digit: 0, seed: 0, converged: Number.isFinite(value), evaluations: value };
}

/** One given seed set checked against the limits. */
export interface SeedSetCheck {
  seeds: number[];
  /** The digit with the largest median, and that median; likewise for p90. */
  worstMedian: { digit: number; value: number };
  worstP90: { digit: number; value: number };
  within: boolean;
}

/** Checks given seed sets (e.g. the README's eight further sets) against the limits. */
export function checkSeedSets(
  runs: RobustnessRun[],
  seedSets: number[][],
  limits: RobustnessLimits,
): SeedSetCheck[] {
  const byDigit = indexRuns(runs);
  return seedSets.map((seeds) => {
    const figures = figuresOf(byDigit, seeds);
    const worst = (key: "median" | "p90") => figures.reduce((a, b) => (b[key] > a[key] ? b : a));
    const m = worst("median"), p = worst("p90");
    return {
      seeds,
      worstMedian: { digit: m.digit, value: m.median },
      worstP90: { digit: p.digit, value: p.p90 },
      within: figures.every((f) => withinLimits(f, limits)),
    };
  });
}

/**
 * Parses seed sets written as `11-20,101-110` or `1+5+9` (one set per comma; `a-b` a range,
 * `+` joins). Throws a RangeError naming the part that is not one.
 */
export function parseSeedSets(text: string): number[][] {
  return text.split(",").map((part) => {
    const seeds = part.trim().split("+").flatMap((piece) => {
      const m = /^(\d+)(?:-(\d+))?$/.exec(piece.trim());
      if (!m) {
        throw new RangeError(
          `Cannot read seed set "${part}": write a range like 11-20, or seeds joined by +`,
        );
      }
      const a = Number(m[1]), b = m[2] === undefined ? a : Number(m[2]);
      if (b < a) throw new RangeError(`Cannot read seed set "${part}": ${b} is below ${a}`);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
    if (new Set(seeds).size !== seeds.length) {
      throw new RangeError(`Cannot read seed set "${part}": it repeats a seed`);
    }
    return seeds;
  });
}
