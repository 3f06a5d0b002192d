/**
 * The sweep's axes, described once: digits × seeds × strategies (greedy's masks × regimes) ×
 * objectives. Cells, cell keys, cell seeds, image names, setting labels and summary groups
 * are all derived from this table; adding an axis is one entry here.
 */

import { deriveSeed } from "../../common/prng.ts";
import { canonicalJson } from "../../common/canonical_json.ts";
import { DEFAULT_OBJECTIVE, type ObjectiveChoice, objectiveLabel } from "../search/objectives.ts";
import type { Perturbation } from "../search/strategies/greedy.ts";
import { strategyOf } from "../search/strategies/registry.ts";
import type { StrategySpec } from "../search/strategies/strategy.ts";

/**
 * Where a cell sits in the sweep. Fields an old config never had (a strategy other than
 * greedy, an objective other than probability) are present only when they differ from the
 * default, so old configs keep their records, keys, seeds and image names byte for byte.
 */
export interface Coordinates {
  digit: number;
  seed: number;
  /** Absent: greedy. */
  strategy?: StrategySpec;
  /** Greedy only: masks per step. */
  masks?: number;
  /** Greedy only: the perturbation regime. */
  perturbation?: Perturbation;
  /** Absent: probability. */
  objective?: ObjectiveChoice;
}

/** One point of the sweep. */
export interface Cell extends Coordinates {
  /** The cell's name, also its image's base name, e.g. `7-3-500` or `7-3-stroke-margin`. */
  id: string;
}

/** The config fields the axes read. */
export interface AxesConfig {
  digits: number[];
  seeds: number[];
  masks: number[];
  perturbations: Perturbation[];
  strategies?: StrategySpec[];
  objectives?: ObjectiveChoice[];
}

type Field = keyof Coordinates;

/** One axis: where its values come from and how a value shows in keys, seeds, names, labels. */
interface Axis {
  field: Field;
  values(config: AxesConfig, cell: Coordinates): unknown[];
  /** Whether the axis applies to a cell with these coordinates (greedy's own axes). */
  applies(cell: Partial<Coordinates>): boolean;
  /** A default value is left out of the cell (and so of records, keys and seeds). */
  isDefault(value: unknown): boolean;
  /** The value a cell without this field has (for ids and labels). */
  defaultValue?: unknown;
  /** The value's parts in the cell key. */
  key(value: unknown): (string | number)[];
  /**
   * The value's parts in the cell's seed; none for objectives, so that cells differing only in
   * their objective draw the same random numbers (common random numbers).
   */
  seed(value: unknown): (string | number)[];
  /** The value's part of the cell id, or null to leave it out. */
  id(value: unknown, config: AxesConfig): string | null;
  /** The value in a setting label, or null to leave it out. */
  label(value: unknown, config: AxesConfig): string | null;
}

const isGreedySpec = (v: unknown) => (v as StrategySpec).name === "greedy";
const isGreedy = (cell: Partial<Coordinates>) =>
  cell.strategy === undefined || isGreedySpec(cell.strategy);
/** Objectives show in names and labels once any cell could have another one. */
const showObjective = (v: unknown, c: AxesConfig) =>
  objectivesOf(c).length > 1 || v !== DEFAULT_OBJECTIVE ||
  strategiesOf(c).some((s) => s.objective !== undefined);
const always = () => true;
const never = () => false;
const DEFAULT_STRATEGY_SPEC: StrategySpec = { name: "greedy" };
const strategiesOf = (config: AxesConfig): StrategySpec[] =>
  config.strategies ?? [DEFAULT_STRATEGY_SPEC];
const objectivesOf = (config: AxesConfig): ObjectiveChoice[] =>
  config.objectives ?? [DEFAULT_OBJECTIVE];

/** An axis of plain numbers that every cell has, shown in ids but not in setting labels. */
function counted(field: "digit" | "seed", values: (config: AxesConfig) => number[]): Axis {
  return {
    field,
    values,
    applies: always,
    isDefault: never,
    key: (v) => [v as number],
    seed: (v) => [v as number],
    id: (v) => String(v),
    label: () => null,
  };
}

/** The axes in expansion order (the last varies fastest). */
export const AXES: readonly Axis[] = [
  counted("digit", (c) => c.digits),
  counted("seed", (c) => c.seeds),
  {
    field: "strategy",
    values: strategiesOf,
    applies: always,
    isDefault: (v) => canonicalJson(v) === canonicalJson(DEFAULT_STRATEGY_SPEC),
    defaultValue: DEFAULT_STRATEGY_SPEC,
    key: (v) => [canonicalJson(v)],
    // A strategy's own objective is not part of its seed: greedy pinned to an objective draws
    // exactly the masks of plain greedy.
    seed: (v) => {
      const { objective: _objective, ...spec } = v as StrategySpec;
      return isGreedySpec(spec) ? [] : [canonicalJson(spec)];
    },
    // Plain greedy cells are named and labelled by their masks, as before strategies existed.
    id: (v) => {
      const spec = v as StrategySpec;
      if (!isGreedySpec(spec)) return strategyId(spec);
      return spec.objective ? "greedy" : null;
    },
    label: (v, c) => {
      const spec = v as StrategySpec;
      return isGreedySpec(spec) ? null : strategyLabel(spec, strategiesOf(c));
    },
  },
  {
    field: "masks",
    values: (c) => c.masks,
    applies: isGreedy,
    isDefault: never,
    key: (v) => [v as number],
    seed: (v) => [v as number],
    id: (v) => String(v),
    label: (v, c) => (strategiesOf(c).length > 1 ? `greedy, ${v} masks` : `${v} masks`),
  },
  {
    field: "perturbation",
    values: (c) => c.perturbations,
    applies: isGreedy,
    isDefault: never,
    key: (v) => regimeParts(v as Perturbation),
    seed: (v) => regimeParts(v as Perturbation),
    id: (v, c) =>
      c.perturbations.length > 1
        ? [`d${(v as Perturbation).density}`, `a${(v as Perturbation).amplitude}`].concat(
          regimeParts(v as Perturbation).slice(2).map(String),
        ).join("-")
        : null,
    label: (v, c) => (c.perturbations.length > 1 ? regimeLabel(v as Perturbation) : null),
  },
  {
    field: "objective",
    // A strategy that pins its objective takes that one instead of the axis's values.
    values: (c, cell) => (cell.strategy?.objective ? [cell.strategy.objective] : objectivesOf(c)),
    applies: always,
    isDefault: (v) => v === DEFAULT_OBJECTIVE,
    defaultValue: DEFAULT_OBJECTIVE,
    // A plain name keys, names and labels a cell as before objective objects existed.
    key: (v) => [typeof v === "string" ? v : canonicalJson(v)],
    seed: () => [],
    id: (v, c) =>
      !showObjective(v, c)
        ? null
        : typeof v === "string"
        ? v
        : `${(v as { name: string }).name}-${shortHash(canonicalJson(v))}`,
    label: (v, c) => (showObjective(v, c) ? objectiveLabel(v as ObjectiveChoice) : null),
  },
];

/** "5 % / ±0.5": a regime in a few characters (its family and clipping when not the seed's). */
export function regimeLabel(p: Perturbation): string {
  const family = p.family === undefined || p.family === "uniform" ? "" : `${p.family} `;
  const density = p.family === "dense" ? "" : `${+(p.density * 100).toFixed(2)} % / `;
  const amplitude = p.family === "saltpepper"
    ? "0/1"
    : `${p.family === "additive" ? "+" : "±"}${p.amplitude}`;
  return `${family}${density}${amplitude}${p.clip === false ? ", unclipped" : ""}`;
}

/**
 * A regime's parts in keys, seeds and ids: density and amplitude, then the family and clipping
 * only when they differ from the seed's (uniform, clipped), so old regimes keep their cells.
 */
function regimeParts(p: Perturbation): (string | number)[] {
  return [
    p.density,
    p.amplitude,
    ...(p.family !== undefined && p.family !== "uniform" ? [p.family] : []),
    ...(p.clip === false ? ["noclip"] : []),
  ];
}

/**
 * A strategy's part of a cell id: its name and a short hash of its parameters, so that a cell
 * of edited parameters never reuses (and overwrites) another cell's image.
 */
function strategyId(spec: StrategySpec): string {
  return `${spec.name}-${shortHash(canonicalJson(spec))}`;
}

/**
 * A strategy's label: the registry's, plus the parameters that tell it apart from strategies
 * of the same name in the config (e.g. "stroke, 8 per step, erase 0.5").
 */
function strategyLabel(spec: StrategySpec, all: StrategySpec[]): string {
  const label = strategyOf(spec).label(spec);
  const twins = all.filter((s) => s.name === spec.name && s !== spec);
  const differing = Object.entries(spec).filter(([key, value]) =>
    key !== "name" && key !== "objective" &&
    twins.some((t) => canonicalJson(t[key]) !== canonicalJson(value))
  );
  return differing.length === 0
    ? label
    : `${label}, ${
      differing.map(([key, value]) =>
        `${key} ${Array.isArray(value) ? value.join("–") : String(value)}`
      ).join(", ")
    }`;
}

/**
 * Whether a config sweeps more than the seed's search (other strategies or objectives). A
 * sweep of the seed's search alone runs, records and reads as before strategies existed.
 */
export function sweepsNewAxes(config: AxesConfig): boolean {
  const strategies = strategiesOf(config), objectives = objectivesOf(config);
  return strategies.length > 1 ||
    canonicalJson(strategies[0]) !== canonicalJson(DEFAULT_STRATEGY_SPEC) ||
    objectives.length > 1 || objectives[0] !== DEFAULT_OBJECTIVE;
}

function shortHash(text: string): string {
  return deriveSeed(text).toString(16).padStart(8, "0").slice(0, 6);
}

/** The axes that apply to `cell` and hold a value in it. */
function present(cell: Partial<Coordinates>): Axis[] {
  return AXES.filter((a) => a.applies(cell) && cell[a.field] !== undefined);
}

/** Each applying axis's part of an id or label, defaults included, nulls dropped. */
function parts(
  cell: Partial<Coordinates>,
  part: (axis: Axis, value: unknown) => string | null,
  { skip = [] }: { skip?: Field[] } = {},
): string[] {
  return AXES.filter((a) => a.applies(cell) && !skip.includes(a.field))
    .map((a) => {
      const value = cell[a.field] ?? a.defaultValue;
      return value === undefined ? null : part(a, value);
    })
    .filter((p): p is string => p !== null);
}

/** Every cell of the config, in a fixed order (the axes' order, the last varying fastest). */
export function expandCells(config: AxesConfig): Cell[] {
  let partial: Coordinates[] = [{} as Coordinates];
  for (const axis of AXES) {
    partial = partial.flatMap((cell) => {
      if (!axis.applies(cell)) return [cell];
      return axis.values(config, cell).map((value) =>
        axis.isDefault(value) ? cell : { ...cell, [axis.field]: value }
      );
    });
  }
  return partial.map((cell) => ({
    ...cell,
    id: parts(cell, (a, v) => a.id(v, config)).join("-"),
  }));
}

/**
 * A cell's coordinates as one string. Records are matched to cells by this, not by id, so a
 * cell keeps its record when its id changes (a second regime added to the sweep).
 */
export function cellKey(cell: Coordinates): string {
  return present(cell).flatMap((a) => a.key(cell[a.field])).join("|");
}

/** What tells a cell's group apart within its digit: its key without digit and seed. */
export function settingKey(cell: Partial<Coordinates>): string {
  return present(cell).filter((a) => a.field !== "digit" && a.field !== "seed")
    .flatMap((a) => a.key(cell[a.field])).join("|");
}

/** A cell's PRNG seed: from its own coordinates only, so results never depend on run order. */
export function cellSeed(cell: Coordinates): number {
  return deriveSeed("identikit/cell", ...present(cell).flatMap((a) => a.seed(cell[a.field])));
}

/**
 * A cell's setting as people read it (all but digit and seed), for tables and legends: the
 * mask count alone while masks are all that varies (as before strategies existed).
 */
export function settingLabel(cell: Partial<Coordinates>, config: AxesConfig): string | number {
  const labels = parts(cell, (a, v) => a.label(v, config), { skip: ["digit", "seed"] });
  if (labels.length === 1 && labels[0] === `${cell.masks} masks`) return cell.masks!;
  return labels.join(", ");
}
