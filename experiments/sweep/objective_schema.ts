/**
 * The schema of a config's objectives (and of a zoo classifier's name): pure, so that the
 * studio's pages resolve an objective exactly as a config does.
 */

import { z } from "zod";
import { isGenerator, MODEL_NAMES } from "../../common/model_names.ts";
import { COMBINE_NAMES, OBJECTIVE_NAMES } from "../search/objectives.ts";

/** A zoo model that classifies (a generator cannot be asked for digits). */
export const ClassifierName = z.enum(
  MODEL_NAMES.filter((m) => !isGenerator(m)) as [string, ...string[]],
);

/** An objective with ensembles, shifted copies or penalties (see `ObjectiveSpec`). */
export const ObjectiveSpecSchema = z.strictObject({
  name: z.enum(OBJECTIVE_NAMES).describe("The per-model objective"),
  models: z.array(ClassifierName).min(1).optional()
    .refine((m) => m === undefined || new Set(m).size === m.length, {
      error: "must not repeat a model",
    })
    .describe("The search models (trained on first use); default: the config's model"),
  combine: z.enum(COMBINE_NAMES).default("min").describe(
    "How the models' and copies' objectives combine: the worst (min) or the average (mean)",
  ),
  jitter: z.int().min(0).max(3).default(0).describe(
    "Also score each candidate shifted by 1…jitter pixels left, right, up and down",
  ),
  tv: z.number().min(0).max(100).default(0).describe(
    "Weight of the total-variation penalty (per 100 pixels of full-scale differences)",
  ),
  ink: z.number().min(0).max(100).default(0).describe(
    "Weight of the ink penalty (per 100 pixels of full ink; an MNIST digit has about 1)",
  ),
});

export const Objective = z.union([z.enum(OBJECTIVE_NAMES), ObjectiveSpecSchema]);
