/**
 * The live page's run as a sweep cell: the URL's model, digit, strategy, objective, seed and
 * target become exactly the cell and search options the CLI makes of a one-cell config, so the
 * page's search is the CLI's. Pure: no DOM, no Deno, no onnxruntime (bundled for the browser).
 */

import type { SearchOptions } from "../experiments/search/search.ts";
import { OBJECTIVE_NAMES, type ObjectiveName } from "../experiments/search/objectives.ts";
import { STRATEGIES, StrategySchema } from "../experiments/search/strategies/registry.ts";
import type { StrategySpec } from "../experiments/search/strategies/strategy.ts";
import { GREEDY_DEFAULTS } from "../experiments/search/strategies/greedy.ts";
import { type Cell, cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { cellSearch } from "../experiments/sweep/cell_search.ts";

/**
 * The config fields the search reads, at the config schema's defaults
 * (experiments/sweep/config.ts; tests/studio_test.ts checks they agree).
 */
export const LIVE_DEFAULTS = Object.freeze({
  target: 0.99,
  maxIterations: 500,
  patience: 100,
  base: "blank" as const,
});

/** The page's parameters that are not the strategy's own. */
const PAGE_KEYS = new Set(["model", "digit", "strategy", "seed", "target", "objective", "run"]);

/** What the page runs: the model's name, the cell, its search and its PRNG seed. */
export interface LiveRun {
  model: string;
  cell: Cell;
  search: SearchOptions;
  prngSeed: number;
}

/**
 * Reads a live URL's query (`model`, `digit`, `strategy`, `seed`, `target`, `objective`, and
 * the strategy's parameters by name, numbers or `a,b` ranges) into the CLI's cell. Throws a
 * RangeError naming the parameter and how to fix it.
 */
export function liveRun(params: URLSearchParams): LiveRun {
  const model = params.get("model") ?? "cnn";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(model)) {
    throw new RangeError(`model must be a model's name in models/, received "${model}"`);
  }
  const digit = integer(params, "digit", 0, 9, 0);
  const seed = integer(params, "seed", 0, 2 ** 32 - 1, 1);
  const target = Number(params.get("target") ?? LIVE_DEFAULTS.target);
  if (!(target > 0 && target < 1)) {
    throw new RangeError(`target must be a number in (0, 1), received "${params.get("target")}"`);
  }
  const name = params.get("strategy") ?? "sketch";
  if (!(name in STRATEGIES)) {
    throw new RangeError(
      `Unknown strategy "${name}"; valid strategies: ${Object.keys(STRATEGIES).join(", ")}`,
    );
  }
  const raw: Record<string, unknown> = { name };
  for (const [key, value] of params) {
    if (!PAGE_KEYS.has(key)) raw[key] = parseValue(value);
  }
  const parsed = StrategySchema.safeParse(raw);
  if (!parsed.success) {
    throw new RangeError(
      `Invalid ${name} parameters: ${
        parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")
      }`,
    );
  }
  const objective = params.get("objective") ?? "probability";
  if (!(OBJECTIVE_NAMES as readonly string[]).includes(objective)) {
    throw new RangeError(
      `Unknown objective "${objective}"; valid objectives: ${OBJECTIVE_NAMES.join(", ")}`,
    );
  }
  const strategy = parsed.data as StrategySpec;
  // The axes of a config with one value each: greedy's own axes at their defaults.
  const [cell] = expandCells({
    digits: [digit],
    seeds: [seed],
    masks: [GREEDY_DEFAULTS.masks],
    perturbations: [{ ...GREEDY_DEFAULTS.perturbation }],
    strategies: [strategy],
    objectives: [objective as ObjectiveName],
  });
  // The config's fields the search reads (config.ts itself reads files: not for a page).
  const config = { ...LIVE_DEFAULTS, target } as Parameters<typeof cellSearch>[0];
  return { model, cell, search: cellSearch(config, cell), prngSeed: cellSeed(cell) };
}

function integer(
  params: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  const text = params.get(name);
  if (text === null) return fallback;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, received "${text}"`);
  }
  return n;
}

/** A parameter's value: a number, a range `a,b`, or the text. */
function parseValue(text: string): unknown {
  if (text.includes(",")) return text.split(",").map(parseValue);
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}
