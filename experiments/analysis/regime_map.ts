/**
 * The map of perturbation regimes (the seed's stalls): success and stuck rates per digit per
 * regime and model, the regimes in which 7 and 9 are the two hardest digits, and the iteration
 * budgets that match the seed's rates. Numbers only: report/plots.ts draws the map.
 */

import { objectiveLabel, objectiveModels, PRIMARY_MODEL } from "../search/objectives.ts";
import { type GroupSummary, quantile, SEED_SUCCESS, type SettingFields } from "./statistics.ts";
import { regimeLabel } from "../sweep/axes.ts";

/** A group as the map places it: which model it asked, and its regime row. */
export interface MapCell {
  model: string;
  regime: string;
  digit: number;
  rate: number;
  stuckRate: number;
  runs: number;
}

/**
 * The network a group's (or a run's) search asked: its objective's models, or the config's
 * model, each followed by its ONNX sha256's first 8 hex digits where `shas` knows it.
 */
export function networkOf(
  g: SettingFields,
  primary: string,
  shas: Record<string, string> = {},
): string {
  const models = g.objective ? objectiveModels(g.objective) : [PRIMARY_MODEL];
  return models.map((m) => (m === PRIMARY_MODEL ? primary : m))
    .map((m) => (shas[m] ? `${m} (${shas[m].slice(0, 8)})` : m)).join(" + ");
}

/** A greedy setting's row in the map: its regime and masks, and the objective less its models. */
export function regimeRowOf(
  g: SettingFields & { perturbation: GroupSummary["perturbation"] & object },
): string {
  return `${regimeLabel(g.perturbation)}${g.masks !== undefined ? `, ${g.masks} masks` : ""}${
    objectivePart(g)
  }`;
}

/** The objective's part of a row (its models are the panel): nothing for the seed's. */
function objectivePart(g: SettingFields): string {
  if (g.objective === undefined) return "";
  const label = typeof g.objective === "string"
    ? g.objective
    : objectiveLabel({ ...g.objective, models: undefined });
  return label === "probability" ? "" : `, ${label}`;
}

/** The map's cells from summary groups (greedy groups: regime × masks). */
export function mapCells(
  groups: GroupSummary[],
  primary: string,
  shas: Record<string, string> = {},
): MapCell[] {
  return groups.filter((g) => g.perturbation).map((g) => ({
    model: networkOf(g, primary, shas),
    regime: regimeRowOf({ ...g, perturbation: g.perturbation! }),
    digit: g.digit,
    rate: g.successRate,
    stuckRate: g.runs > 0 ? g.stuck / g.runs : 0,
    runs: g.runs,
  }));
}

/**
 * The regimes (per model) in which 7 and 9 are the two hardest digits: both below 100 % and
 * neither above any other digit's success rate.
 */
export function hardestSevenNine(cells: MapCell[]): string[] {
  const rows = new Map<string, MapCell[]>();
  for (const c of cells) {
    const key = `${c.model}\u0000${c.regime}`;
    rows.set(key, [...(rows.get(key) ?? []), c]);
  }
  const lines: string[] = [];
  for (const [key, row] of rows) {
    const rate = (d: number) => row.find((c) => c.digit === d)?.rate;
    const seven = rate(7), nine = rate(9);
    if (seven === undefined || nine === undefined) continue;
    const others = row.filter((c) => c.digit !== 7 && c.digit !== 9).map((c) => c.rate);
    if (others.length === 0 || Math.max(seven, nine) >= 1) continue;
    if (Math.max(seven, nine) <= Math.min(...others)) {
      const [model, regime] = key.split("\u0000");
      lines.push(
        `| ${model} | ${regime} | ${Math.round(seven * 100)} % | ${Math.round(nine * 100)} % | ${
          Math.round(Math.min(...others) * 100)
        } % |`,
      );
    }
  }
  return lines.length === 0 ? ["In no regime are 7 and 9 the two hardest digits."] : [
    "| model | regime | 7 | 9 | hardest other digit |",
    "| --- | --- | ---: | ---: | ---: |",
    ...lines,
  ];
}

/** What {@linkcode closestBudgets} needs of a run. */
export interface BudgetRun {
  setting: string | number;
  digit: number;
  converged: boolean;
  iterations: number;
}

/** The iteration budget under which a setting comes closest to the seed's 7 and 9. */
export interface BudgetMatch {
  setting: string | number;
  /** Iterations allowed: a run succeeds if it reached the target within them. */
  budget: number;
  seven: number;
  nine: number;
  /** The other digits' success at that budget: the lowest (and its digit) and the median. */
  lowest: number;
  lowestDigit: number;
  median: number;
  /** |7 − 50 %| + |9 − 30 %| at that budget. */
  distance: number;
}

/**
 * For each setting (regime and model), the iteration budget at which its success rates for 7 and 9
 * come closest to the seed's (7 → 50 %, 9 → 30 %): a converged run counts as a success under a
 * budget B when it reached the target within B iterations, so every budget up to the sweep's own
 * is read off the same runs. Closest settings first.
 */
export function closestBudgets(runs: BudgetRun[], maxIterations: number): BudgetMatch[] {
  const [seven, nine] = [SEED_SUCCESS[0].rate, SEED_SUCCESS[1].rate];
  const settings = [...new Set(runs.map((r) => r.setting))];
  const matches: BudgetMatch[] = [];
  for (const setting of settings) {
    // Per digit: how many runs, and the iterations at which the converged ones got there.
    const byDigit = new Map<number, { runs: number; reached: number[] }>();
    for (const r of runs) {
      if (r.setting !== setting) continue;
      const d = byDigit.get(r.digit) ?? { runs: 0, reached: [] };
      d.runs++;
      if (r.converged) d.reached.push(r.iterations);
      byDigit.set(r.digit, d);
    }
    const digits = [...byDigit.keys()].sort((a, b) => a - b);
    if (!byDigit.has(7) || !byDigit.has(9) || digits.length < 3) continue;
    const rate = (digit: number, budget: number) => {
      const { runs, reached } = byDigit.get(digit)!;
      return reached.filter((i) => i <= budget).length / runs;
    };
    let best: BudgetMatch | null = null;
    for (let budget = 1; budget <= maxIterations; budget++) {
      const s7 = rate(7, budget), s9 = rate(9, budget);
      const distance = Math.abs(s7 - seven) + Math.abs(s9 - nine);
      if (best !== null && distance >= best.distance - 1e-12) continue;
      const others = digits.filter((d) => d !== 7 && d !== 9)
        .map((d) => ({ d, s: rate(d, budget) }))
        .sort((a, b) => a.s - b.s || a.d - b.d);
      const middle = others.map((o) => o.s);
      best = {
        setting,
        budget,
        seven: s7,
        nine: s9,
        lowest: others[0].s,
        lowestDigit: others[0].d,
        median: quantile(middle, 0.5),
        distance,
      };
    }
    if (best) matches.push(best);
  }
  return matches.sort((a, b) => a.distance - b.distance || a.budget - b.budget);
}
