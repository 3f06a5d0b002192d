/** The search a cell of the sweep runs: the config's stop rules with the cell's coordinates. */

import type { SearchOptions } from "../search/search.ts";
import type { Cell } from "./axes.ts";
import type { ResolvedConfig } from "./config.ts";

/** The search a cell runs. */
export function cellSearch(config: ResolvedConfig, cell: Cell): SearchOptions {
  return {
    digit: cell.digit,
    target: config.target,
    maxIterations: config.maxIterations,
    ...(config.maxEvaluations === undefined ? {} : { maxEvaluations: config.maxEvaluations }),
    patience: config.patience,
    base: config.base,
    ...(cell.strategy ? { strategy: cell.strategy } : {}),
    ...(cell.objective ? { objective: cell.objective } : {}),
    ...(cell.masks !== undefined ? { masks: cell.masks } : {}),
    ...(cell.perturbation ? { perturbation: cell.perturbation } : {}),
  };
}
