/**
 * What a sweep would do, without doing it (`deno task experiment CONFIG --dry-run`): its cells
 * per setting, those a results folder already holds, and the most network queries the rest can
 * take (every run to its limit). Pure: no model is opened; a setting's images per step are
 * counted by stepping its search once against uniform scores.
 */

import { createPrng } from "../../common/prng.ts";
import { createSearch, PIXELS } from "../search/search.ts";
import { type Cell, cellKey, cellSeed, expandCells, settingKey, settingLabel } from "./axes.ts";
import { cellSearch } from "./cell_search.ts";
import type { ResolvedConfig } from "./config.ts";
import { type Shard, shardCells } from "./shards.ts";

/** One setting (all but digit and seed) of the sweep. */
export interface PlanSetting {
  label: string;
  cells: number;
  /** Of those, cells the results folder already holds. */
  done: number;
  /** Network queries of the first step (the base, with its shifted copies) and of each later one. */
  firstQueries: number;
  stepQueries: number;
  /** The most queries the setting's pending cells can take: each run to its limit. */
  maxQueries: number;
}

/** The sweep's plan. */
export interface SweepPlan {
  cells: number;
  done: number;
  settings: PlanSetting[];
  maxQueries: number;
}

/**
 * Queries of a search's first two proposals, counted against uniform probabilities, and the
 * candidates of a step (the base is proposed alone with its shifted copies: their count divides).
 */
function queriesPerStep(
  config: ResolvedConfig,
  cell: Cell,
): { first: number; step: number; candidates: number } {
  const search = createSearch(cellSearch(config, cell), createPrng(cellSeed(cell)));
  const counts: number[] = [], images: number[] = [];
  for (let k = 0; k < 2 && !search.done; k++) {
    const latent = search.prepare();
    if (latent) search.render(new Float32Array(latent.count * PIXELS));
    const { count } = search.propose();
    const uniform = new Float32Array(count * 10).fill(0.1);
    search.accept(search.models.length === 1 ? uniform : search.models.map(() => uniform));
    counts.push(count * search.models.length + (latent ? latent.count : 0));
    images.push(count);
  }
  const copies = Math.max(1, images[0] ?? 1);
  return {
    first: counts[0] ?? 0,
    step: counts[1] ?? counts[0] ?? 0,
    candidates: Math.max(1, Math.round((images[1] ?? copies) / copies)),
  };
}

/**
 * The plan of `config` (the part `shard` runs), with `doneKeys` the cell keys a results folder
 * already holds records of.
 */
export function sweepPlan(
  config: ResolvedConfig,
  { shard, doneKeys = new Set() }: { shard?: Shard; doneKeys?: ReadonlySet<string> } = {},
): SweepPlan {
  const cells = shardCells(expandCells(config), shard);
  const groups = new Map<string, Cell[]>();
  for (const cell of cells) {
    const key = settingKey(cell);
    groups.set(key, [...(groups.get(key) ?? []), cell]);
  }
  const settings = [...groups.values()].map((group): PlanSetting => {
    const { first, step, candidates } = queriesPerStep(config, group[0]);
    const done = group.filter((c) => doneKeys.has(cellKey(c))).length;
    // Evaluations count candidates (not their copies, nor each model's query): a budget caps
    // the steps too.
    const steps = config.maxEvaluations === undefined ? config.maxIterations : Math.min(
      config.maxIterations,
      Math.ceil(Math.max(0, config.maxEvaluations - 1) / candidates),
    );
    return {
      label: ((l) => typeof l === "number" ? `${l} masks` : l)(settingLabel(group[0], config)),
      cells: group.length,
      done,
      firstQueries: first,
      stepQueries: step,
      maxQueries: (group.length - done) * (first + steps * step),
    };
  });
  return {
    cells: cells.length,
    done: settings.reduce((n, s) => n + s.done, 0),
    settings,
    maxQueries: settings.reduce((n, s) => n + s.maxQueries, 0),
  };
}
