/** The experiment config: a JSON file validated at the door, with defaults and a stable hash. */

import { z } from "zod";
import { UsageError } from "../../common/errors.ts";
import { sha256Hex } from "../../common/files.ts";
import { canonicalJson } from "../../common/canonical_json.ts";

export { canonicalJson };
import { MODEL_NAMES } from "../../common/model_names.ts";
import { PROVIDER_NAMES } from "../../common/provider_names.ts";
import { DEFAULT_OBJECTIVE, OBJECTIVE_NAMES, type ObjectiveChoice } from "../search/objectives.ts";
import type { ModelName } from "../../common/model_names.ts";
import {
  GREEDY_DEFAULTS,
  type Perturbation,
  PERTURBATION_FAMILIES,
} from "../search/strategies/greedy.ts";
import { STRATEGIES, STRATEGY_NAMES, StrategySchema } from "../search/strategies/registry.ts";
import type { StrategySpec } from "../search/strategies/strategy.ts";
import { decoderNames, searchModelNames } from "./search_models.ts";
import { ClassifierName, Objective, ObjectiveSpecSchema } from "./objective_schema.ts";

export { ObjectiveSpecSchema, searchModelNames };

/** The judges that look at pixels, built in. */
export const PIXEL_JUDGES = ["nearest", "mean", "plausible"] as const;

const Perturbation = z.strictObject({
  density: z.number().gt(0).lte(1).describe("Fraction of the 784 pixels each mask touches"),
  amplitude: z.number().gt(0).lte(1).describe(
    "Largest change of a touched pixel, as a fraction of full scale (gaussian: σ)",
  ),
  family: z.enum(PERTURBATION_FAMILIES).optional().describe(
    "How a touched pixel changes: uniform in ±amplitude (the default), gaussian (σ = amplitude), saltpepper (set to black or white), dense (uniform on every pixel: density 1), additive (gains uniform [0, amplitude]: ink is never erased)",
  ),
  clip: z.boolean().optional().describe(
    "true (the default): every sum is clipped to [0, 1]; false: masks add to an unclipped base and a candidate is clipped only when scored (not for saltpepper or additive, where it changes nothing)",
  ),
}).refine((p) => !(p.clip === false && (p.family === "saltpepper" || p.family === "additive")), {
  error:
    "must be left out for saltpepper and additive masks: their sums never leave [0, 1] in a way clipping would undo, so unclipped cells would repeat the clipped ones",
  path: ["clip"],
});

/** A regime's identity: what tells two regimes of a sweep apart. */
function regimeKey(p: z.output<typeof Perturbation>): string {
  return `${p.density}/${p.amplitude}/${p.family ?? "uniform"}/${p.clip ?? true}`;
}

/** A classifier of our own making, or one brought along (see {@linkcode ExternalModelSchema}). */
export const ExternalModelSchema = z.strictObject({
  onnx: z.string().regex(/\.onnx$/i, { error: "must be the path of an .onnx file" }).describe(
    "Path of the ONNX file, relative to the folder the command runs in (the project root for deno task)",
  ),
  layout: z.enum(["NCHW", "NHWC", "flat"]).optional().describe(
    "Input layout: NCHW [N, 1, 28, 28] (PyTorch), NHWC [N, 28, 28, 1] (TensorFlow) or flat [N, 784]; detected from the input's shape when omitted",
  ),
  scale: z.union([
    z.strictObject({ min: z.number(), max: z.number() })
      .refine((s) => s.min < s.max, { error: "min must be below max" }),
    z.strictObject({ mean: z.number(), std: z.number().gt(0) }),
  ]).default({ min: 0, max: 1 }).describe(
    "What the model expects for pixels: { min, max } (e.g. 0 and 255; white is max) or a normalisation { mean, std } of pixels in [0, 1] (e.g. 0.1307 and 0.3081)",
  ),
  output: z.enum(["probabilities", "logits"]).optional().describe(
    "What the output holds; detected when omitted (a final Softmax: probabilities; otherwise logits, turned into probabilities with a stable softmax)",
  ),
  input: z.string().min(1).optional().describe("The input's name, for models with several"),
  outputName: z.string().min(1).optional().describe("The output's name (default: the first)"),
});

/** An external model as a config describes it. */
export type ExternalModel = z.output<typeof ExternalModelSchema>;

/** Defaults with which most digits reach 0.99 at 500 masks (see the README). */
export const DEFAULT_PERTURBATION = GREEDY_DEFAULTS.perturbation;

/** The config schema (zod); `configs/schema.json` is generated from it. */
export const ConfigSchema = z.strictObject({
  $schema: z.string().optional().describe("Path of the JSON Schema, for editors"),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    error:
      "must be a folder name: letters, digits, '.', '_' or '-' (1–64, not starting with '.', '_' or '-')",
  }).describe("Results go to results/<name>/"),
  description: z.string().optional().describe(
    "What the sweep asks, in a sentence or two (deno task experiment with no config lists the first)",
  ),
  model: z.union([ClassifierName, ExternalModelSchema]).default("cnn").describe(
    'Which model to ask: a classifier of the zoo (trained here on first use; docs/zoo.md), or an external ONNX classifier { "onnx": path, … } (docs/byo-model.md)',
  ),
  provider: z.enum(PROVIDER_NAMES as [string, ...string[]]).default("node-cpu")
    .describe("onnxruntime execution provider"),
  digits: z.array(z.int().min(0).max(9)).min(1).default([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    .refine((d) => new Set(d).size === d.length, { error: "must not repeat a digit" })
    .describe("Target digits"),
  seeds: z.union([
    z.int().min(1).max(100000),
    z.array(z.int().min(0).max(2 ** 32 - 1)).min(1)
      .refine((s) => new Set(s).size === s.length, { error: "must not repeat a seed" }),
    z.strictObject({
      from: z.int().min(0).max(2 ** 32 - 1),
      to: z.int().min(0).max(2 ** 32 - 1),
    }).refine((r) => r.from <= r.to && r.to - r.from < 100000, {
      error: "must have from ≤ to, at most 100,000 seeds apart",
    }),
  ]).default(10).describe(
    'A count n (seeds 1…n), an explicit list of seeds, or a range { "from": 101, "to": 130 } (both included)',
  ),
  masks: z.array(z.int().min(1).max(100000)).min(1).default([GREEDY_DEFAULTS.masks])
    .refine((m) => new Set(m).size === m.length, { error: "must not repeat a mask count" })
    .describe("Candidates per iteration; each value is a sweep column"),
  target: z.number().gt(0).lt(1).default(0.99).describe("Confidence that counts as converged"),
  maxIterations: z.int().min(1).max(1000000).default(500).describe("Stop after this many steps"),
  maxEvaluations: z.int().min(1).max(1e9).optional().describe(
    "Stop once a run has scored this many images: a budget that is the same for every strategy",
  ),
  patience: z.int().min(1).max(1000000).default(100)
    .describe("Iterations without improvement after which a run counts as stuck"),
  perturbation: z.union([
    Perturbation,
    z.array(Perturbation).min(1).refine(
      (list) => new Set(list.map(regimeKey)).size === list.length,
      { error: "must not repeat a regime" },
    ),
  ]).default({ ...DEFAULT_PERTURBATION })
    .describe("One perturbation regime, or a list of regimes to sweep (an axis, like masks)"),
  base: z.enum(["blank", "noise"]).default("blank").describe("The starting image"),
  strategy: z.union([
    StrategySchema,
    z.array(StrategySchema).min(1).refine(
      (list) => new Set(list.map((s) => canonicalJson(s))).size === list.length,
      { error: "must not repeat a strategy" },
    ),
  ]).default({ name: "greedy" }).describe(
    "One search strategy { name, …parameters }, or a list to sweep (an axis). greedy (the default) takes masks and perturbation from the top level",
  ),
  objective: z.union([
    Objective,
    z.array(Objective).min(1).refine(
      (o) => new Set(o.map((v) => canonicalJson(v))).size === o.length,
      { error: "must not repeat an objective" },
    ),
  ]).default(DEFAULT_OBJECTIVE).describe(
    'What the strategy maximises: probability (the seed\'s), logprob, or margin (log p_target − max log p_other); or an object { "name", "models", "combine", "jitter", "tv", "ink" } for ensembles, shifted copies and penalties; or a list to sweep',
  ),
  judges: z.array(z.union([ClassifierName, ExternalModelSchema, z.enum(PIXEL_JUDGES)]))
    .min(1).refine(
      (j) => new Set(j.map((x) => (typeof x === "string" ? x : x.onnx))).size === j.length,
      { error: "must not repeat a judge" },
    ).optional().describe(
      'Judges of every final image that take no part in the search: zoo classifiers, external ONNX classifiers { "onnx": … }, and the pixel judges "nearest" (1-NN label among the 60,000 training digits), "mean" (the most correlated digit mean) and "plausible" (the nearest training digit is as near as 95 % of real test digits\' are, and carries the target label)',
    ),
  sha256: z.record(
    z.string().min(1),
    z.string().regex(/^[0-9a-f]{8,64}$/, {
      error: "must be 8 to 64 lowercase hex digits: a prefix of the ONNX file's sha256",
    }),
  ).optional().describe(
    'Pins the sweep to named model files: { "cnn": "96fd9080", … } maps a zoo model the sweep uses to a prefix of its ONNX file\'s sha256 (model.json and the banner print it). A model with other bytes is refused before any run, so a published number cannot silently move to another network',
  ),
});

/** A config as written in a file (defaults optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** A config with every default filled in and seeds expanded to a list. */
export interface ResolvedConfig {
  name: string;
  description?: string;
  model: typeof MODEL_NAMES[number] | ExternalModel;
  provider: typeof PROVIDER_NAMES[number];
  digits: number[];
  seeds: number[];
  masks: number[];
  target: number;
  maxIterations: number;
  /** Stop once this many images were scored (absent: no such budget). */
  maxEvaluations?: number;
  patience: number;
  /** The perturbation regimes swept (one when the file gives a single object). */
  perturbations: Perturbation[];
  base: "blank" | "noise";
  /** The strategies swept (greedy alone unless the file names others). */
  strategies: StrategySpec[];
  /** The objectives swept. */
  objectives: ObjectiveChoice[];
  /** Judges of the final images (absent: none). */
  judges?: JudgeRef[];
  /** sha256 prefixes the named models' ONNX files must have (absent: any bytes). */
  sha256?: Record<string, string>;
}

/** A judge as a config names it. */
export type JudgeRef = ModelName | ExternalModel | typeof PIXEL_JUDGES[number];

/** The JSON Schema for editors (`configs/schema.json`). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input" }) as Record<string, unknown>;
}

/**
 * Validates parsed JSON against the schema. Every problem is listed with its JSON path, the
 * value received and what is allowed; throws a {@linkcode UsageError}.
 */
export function parseConfig(data: unknown, source = "config"): ResolvedConfig {
  const resolved = validateConfig(data);
  if (typeof resolved === "string") {
    throw new UsageError(
      `Cannot run experiment: ${source} is not a valid config:\n${resolved}`,
      { hint: "See configs/schema.json for every field, its type and range." },
    );
  }
  return resolved;
}

/**
 * Validates parsed JSON against the schema: the resolved config, or the problems as lines
 * ("  - path: what is wrong") when it is not valid.
 */
export function validateConfig(data: unknown): ResolvedConfig | string {
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    return parsed.error.issues.map((issue) => `  - ${describeIssue(issue, data)}`).join("\n");
  }
  const c = parsed.data;
  const seeds = expandSeeds(c.seeds);
  const resolved: ResolvedConfig = {
    name: c.name,
    ...(c.description === undefined ? {} : { description: c.description }),
    model: c.model as ResolvedConfig["model"],
    provider: c.provider as ResolvedConfig["provider"],
    digits: c.digits,
    seeds,
    masks: c.masks,
    target: c.target,
    maxIterations: c.maxIterations,
    ...(c.maxEvaluations === undefined ? {} : { maxEvaluations: c.maxEvaluations }),
    patience: c.patience,
    perturbations: Array.isArray(c.perturbation) ? c.perturbation : [c.perturbation],
    base: c.base,
    strategies: (Array.isArray(c.strategy) ? c.strategy : [c.strategy]) as StrategySpec[],
    objectives: (Array.isArray(c.objective) ? c.objective : [c.objective]) as ObjectiveChoice[],
    ...(c.judges === undefined ? {} : { judges: c.judges as JudgeRef[] }),
    ...(c.sha256 === undefined ? {} : { sha256: c.sha256 }),
  };
  return judgesInSearch(resolved) ?? pinsOutsideSweep(resolved) ?? resolved;
}

/** Seeds as a config gives them (a count, a list or a range), as the list of seeds. */
function expandSeeds(seeds: number | number[] | { from: number; to: number }): number[] {
  if (typeof seeds === "number") return Array.from({ length: seeds }, (_, i) => i + 1);
  if (Array.isArray(seeds)) return seeds;
  const { from, to } = seeds;
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * A judge must take no part in the search: a problem line for each judge that is also the
 * config's model or a model of an objective, or null when there is none.
 */
function judgesInSearch(config: ResolvedConfig): string | null {
  const name = (m: string | ExternalModel) => (typeof m === "string" ? m : m.onnx);
  const searchModels = new Set(searchModelNames(config));
  const problems = (config.judges ?? []).flatMap((judge, i) =>
    searchModels.has(name(judge))
      ? [
        `  - "judges[${i}]" is ${
          JSON.stringify(name(judge))
        }, which the search asks: a judge must take no part in the search (use a model of another seed or shape, e.g. "cnn-s2" or "lenet")`,
      ]
      : []
  );
  return problems.length > 0 ? problems.join("\n") : null;
}

/**
 * A pin must name a model of the sweep (its model, an objective's models, a decoder or a
 * judge): a problem line for each that does not, or null when there is none.
 */
function pinsOutsideSweep(config: ResolvedConfig): string | null {
  const used = new Set([
    ...searchModelNames(config),
    ...decoderNames(config.strategies),
    ...(config.judges ?? []).flatMap((j) => (typeof j === "string" ? [j] : [])),
  ]);
  const problems = Object.keys(config.sha256 ?? {}).filter((name) => !used.has(name)).map(
    (name) =>
      `  - "sha256.${name}": the sweep uses no model "${name}" (it uses ${
        [...used].map((m) => `"${m}"`).join(", ")
      }); pin only those`,
  );
  return problems.length > 0 ? problems.join("\n") : null;
}

/** Reads and validates a config file; unreadable or malformed files are usage errors. */
export async function readConfig(path: string): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot run experiment: config file ${path} does not exist`, {
        hint: "Pass a path such as configs/all-digits.json.",
      });
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`Cannot run experiment: ${path} is a folder, not a config file`);
    }
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `Cannot run experiment: ${path} is not valid JSON: ${(error as Error).message}`,
      { hint: "Check for trailing commas, comments or unquoted keys (JSON allows none of them)." },
    );
  }
  return parseConfig(data, path);
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function jsonPath(path: PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path.map((k, i) =>
    typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`
  )
    .join("");
}

const UNION_WORDS: Record<string, string> = {
  seeds:
    'a positive integer count, a non-empty list of distinct integers, or a range { "from", "to" }',
  perturbation: "an object {density, amplitude} or a non-empty list of such objects",
  strategy: 'a strategy object { "name": …, …parameters } or a non-empty list of them',
  objective: `one of ${
    OBJECTIVE_NAMES.map((o) => JSON.stringify(o)).join(", ")
  }, an objective object { "name", "models", … }, or a list of them`,
};

const TYPE_WORDS: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  array: "a list",
  object: "an object",
  boolean: "true or false",
};

/** The fields allowed in the object at `path`: the config, a regime or a strategy. */
function objectShapeAt(path: PropertyKey[], data: unknown): Record<string, unknown> {
  if (path.length === 0) return ConfigSchema.shape;
  if (path[0] === "strategy") {
    const name = (valueAt(data, path) as { name?: unknown } | undefined)?.name;
    const schema = STRATEGIES[String(name)]?.schema as unknown as {
      shape?: Record<string, unknown>;
    };
    if (schema?.shape) return { ...schema.shape, objective: true };
  }
  return Perturbation.shape;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const where = `"${jsonPath(issue.path)}"`;
  const value = valueAt(data, issue.path);
  const received = value === undefined ? "nothing" : JSON.stringify(value);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = Object.keys(objectShapeAt(issue.path, data)).join(", ");
      return `${where} has unknown key(s) ${
        issue.keys.map((k) => `"${k}"`).join(", ")
      }; allowed keys: ${allowed}`;
    }
    case "invalid_type":
      return `${where} must be ${
        TYPE_WORDS[issue.expected] ?? issue.expected
      }, received ${received}`;
    case "too_big":
      return issue.origin === "array"
        ? `${where} must list at most ${issue.maximum} values, received ${
          (value as unknown[]).length
        }`
        : `${where} must be ${issue.inclusive ? "≤" : "<"} ${issue.maximum}, received ${received}`;
    case "too_small":
      return issue.origin === "array"
        ? `${where} must list at least ${issue.minimum} value(s), received ${received}`
        : `${where} must be ${issue.inclusive ? "≥" : ">"} ${issue.minimum}, received ${received}`;
    case "invalid_value":
      return `${where} must be one of ${
        issue.values.map((v) => JSON.stringify(v)).join(", ")
      }, received ${received}`;
    case "invalid_union": {
      if (issue.path[0] === "strategy" && issue.path.at(-1) === "name") {
        return `${where} must be one of ${
          STRATEGY_NAMES.map((n) => JSON.stringify(n)).join(", ")
        }, received ${received}`;
      }
      // Describe the branch whose type matched (an object with a bad field, a list with a bad
      // item); when no branch's type matched, say what the field may be.
      const branch = issue.errors.find((errors) =>
        errors.length > 0 && !errors.every((e) => e.code === "invalid_type" && e.path.length === 0)
      );
      if (branch) {
        return branch.map((e) => describeIssue({ ...e, path: [...issue.path, ...e.path] }, data))
          .join("\n  - ");
      }
      return `${where} must be ${
        UNION_WORDS[String(issue.path[0])] ?? "one of the allowed forms"
      }, received ${received}`;
    }
    default:
      return `${where} ${issue.message}, received ${received}`;
  }
}

/**
 * Hashes what decides each cell's record: everything but the sweep axes and the description,
 * plus the model file's hash. Adding seeds, digits or regimes keeps old cells valid; changing
 * the target, the stop rules, the provider or the model does not.
 */
export function searchHash(
  config: ResolvedConfig,
  modelSha256: string,
  otherModels?: Record<string, string>,
): Promise<string> {
  const {
    digits: _d,
    seeds: _s,
    masks: _m,
    perturbations: _p,
    strategies: _st,
    objectives: _o,
    description: _desc,
    name: _n,
    // A pin only checks the bytes; the model's own hash is already in the search hash.
    sha256: _pins,
    ...search
  } = config;
  // Other models (ensembles, decoders, judges) join the hash only when there are any, so the
  // hash of a config of one model is what it always was.
  return sha256Hex(
    canonicalJson({ ...search, modelSha256, ...(otherModels ? { otherModels } : {}) }),
  );
}

/** Hashes the whole resolved config (stored with the results). */
export function configHash(config: ResolvedConfig): Promise<string> {
  return sha256Hex(canonicalJson(config));
}
