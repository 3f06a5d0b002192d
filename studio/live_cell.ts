/**
 * The live page's run as a sweep cell: the URL's model, digit, strategy, objective, seed and
 * target become exactly the cell and search options the CLI makes of a one-cell config, so the
 * page's search is the CLI's. Pure: no DOM, no Deno, no onnxruntime (bundled for the browser).
 */

import { canonicalJson } from "../common/canonical_json.ts";
import type { SearchOptions } from "../experiments/search/search.ts";
import type { ObjectiveChoice } from "../experiments/search/objectives.ts";
import { STRATEGIES, StrategySchema } from "../experiments/search/strategies/registry.ts";
import type { StrategySpec } from "../experiments/search/strategies/strategy.ts";
import { GREEDY_DEFAULTS } from "../experiments/search/strategies/greedy.ts";
import { type Cell, cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { cellSearch } from "../experiments/sweep/cell_search.ts";
import { Objective } from "../experiments/sweep/objective_schema.ts";
import { decoderNames, searchModelNames } from "../experiments/sweep/search_models.ts";

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
const PAGE_KEYS = new Set([
  "model",
  "digit",
  "strategy",
  "seed",
  "target",
  "objective",
  "maxIterations",
  "maxEvaluations",
  "patience",
  "provider",
  "run",
]);

/** What the page runs: the model's name, the cell, its search and its PRNG seed. */
export interface LiveRun {
  model: string;
  cell: Cell;
  search: SearchOptions;
  prngSeed: number;
  /** Models the objective names besides `model` (ensembles). */
  models: string[];
  /** Decoders the strategy renders with (latent). */
  decoders: string[];
}

/**
 * Reads a live URL's query (`model`, `digit`, `strategy`, `seed`, `target`, `maxIterations`,
 * `maxEvaluations`, `patience`, `objective` — a name, or a config's objective object as JSON —
 * and the strategy's parameters by name, numbers or `a,b` ranges) into the CLI's cell. Throws a
 * RangeError naming the parameter and how to fix it.
 */
export function liveRun(params: URLSearchParams): LiveRun {
  const model = params.get("model") ?? "cnn";
  // "@own": the page's dropped file (studio/live.ts), which no URL can name otherwise.
  if (!/^(@own|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$/.test(model)) {
    throw new RangeError(`model must be a model's name in models/, received "${model}"`);
  }
  const digit = integer(params, "digit", 0, 9, 0);
  const seed = integer(params, "seed", 0, 2 ** 32 - 1, 1);
  const target = Number(params.get("target") ?? LIVE_DEFAULTS.target);
  if (!(target > 0 && target < 1)) {
    throw new RangeError(`target must be a number in (0, 1), received "${params.get("target")}"`);
  }
  const raw = strategyOf(params);
  const name = String(raw.name);
  const parsed = StrategySchema.safeParse(raw);
  if (!parsed.success) {
    throw new RangeError(
      `Invalid ${name} parameters: ${
        parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")
      }`,
    );
  }
  const objective = objectiveOf(params.get("objective"));
  const strategy = parsed.data as StrategySpec;
  // The axes of a config with one value each: greedy's own axes at their defaults.
  const [cell] = expandCells({
    digits: [digit],
    seeds: [seed],
    masks: [GREEDY_DEFAULTS.masks],
    perturbations: [{ ...GREEDY_DEFAULTS.perturbation }],
    strategies: [strategy],
    objectives: [objective],
  });
  const maxEvaluations = params.has("maxEvaluations")
    ? integer(params, "maxEvaluations", 1, 1e9, 1)
    : undefined;
  // The config's fields the search reads (config.ts itself reads files: not for a page).
  const config = {
    ...LIVE_DEFAULTS,
    target,
    maxIterations: integer(params, "maxIterations", 1, 1e9, LIVE_DEFAULTS.maxIterations),
    patience: integer(params, "patience", 1, 1e9, LIVE_DEFAULTS.patience),
    ...(maxEvaluations === undefined ? {} : { maxEvaluations }),
  } as Parameters<typeof cellSearch>[0];
  return {
    model,
    cell,
    search: cellSearch(config, cell),
    prngSeed: cellSeed(cell),
    models: searchModelNames({ model, objectives: [objective], strategies: [strategy] })
      .filter((m) => m !== model),
    decoders: decoderNames([strategy]),
  };
}

/**
 * The `strategy` parameter with the strategy's own parameters beside it (numbers, `a,b`
 * ranges), or a whole strategy object as JSON (a config's, pinned objective included).
 */
function strategyOf(params: URLSearchParams): Record<string, unknown> {
  const text = params.get("strategy") ?? "sketch";
  let raw: Record<string, unknown> = { name: text };
  if (text.trim().startsWith("{")) {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new RangeError(`strategy is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    for (const [key, value] of params) {
      if (!PAGE_KEYS.has(key)) raw[key] = parseValue(value);
    }
  }
  if (typeof raw.name !== "string" || !(raw.name in STRATEGIES)) {
    throw new RangeError(
      `Unknown strategy ${JSON.stringify(raw.name)}; valid strategies: ${
        Object.keys(STRATEGIES).join(", ")
      }`,
    );
  }
  return raw;
}

/** The config fields a live URL carries (besides the cell's coordinates). */
export interface LiveConfig {
  model: string | { onnx: string };
  target: number;
  maxIterations: number;
  maxEvaluations?: number;
  patience: number;
  base: "blank" | "noise";
}

/**
 * The live URL's query that runs a config's cell in the page exactly as the CLI ran it
 * ({@linkcode liveRun} reads it back to the same cell, search and seed). A RangeError for what
 * no URL can say: an external model file, a noise base, a greedy cell off greedy's defaults.
 */
export function liveQuery(config: LiveConfig, cell: Cell): URLSearchParams {
  if (typeof config.model !== "string") {
    throw new RangeError("The live page runs models of models/ by name, not an external file");
  }
  if (config.base !== LIVE_DEFAULTS.base) {
    throw new RangeError(`The live page starts from a blank image, not "${config.base}"`);
  }
  const offDefaults = (cell.masks !== undefined && cell.masks !== GREEDY_DEFAULTS.masks) ||
    (cell.perturbation !== undefined &&
      canonicalJson(cell.perturbation) !== canonicalJson(GREEDY_DEFAULTS.perturbation));
  if (!cell.strategy && offDefaults) {
    throw new RangeError("The live page runs greedy with its default masks and perturbation only");
  }
  const params = new URLSearchParams({
    model: config.model,
    digit: String(cell.digit),
    seed: String(cell.seed),
    target: String(config.target),
    maxIterations: String(config.maxIterations),
    patience: String(config.patience),
    strategy: JSON.stringify(cell.strategy ?? { name: "greedy" }),
  });
  if (config.maxEvaluations !== undefined) {
    params.set("maxEvaluations", String(config.maxEvaluations));
  }
  if (cell.objective !== undefined) {
    params.set(
      "objective",
      typeof cell.objective === "string" ? cell.objective : JSON.stringify(cell.objective),
    );
  }
  params.set("run", "1");
  return params;
}

/** The `objective` parameter: a name or a JSON object, resolved as a config resolves it. */
function objectiveOf(text: string | null): ObjectiveChoice {
  let value: unknown = text ?? "probability";
  if (text?.trim().startsWith("{")) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new RangeError(`objective is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = Objective.safeParse(value);
  if (!parsed.success) {
    throw new RangeError(
      `Invalid objective ${JSON.stringify(value)}: ${
        parsed.error.issues.map((i) => `${i.path.join(".") || "objective"} ${i.message}`)
          .join("; ")
      } (a name: probability, logprob, margin; or an object as in a config)`,
    );
  }
  return parsed.data as ObjectiveChoice;
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
