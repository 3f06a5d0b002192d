/** Model names and their training defaults (no tfjs here, so configs can import it cheaply). */

import { UsageError } from "../common/errors.ts";

/** Model names, as used on the command line and in configs. */
export const MODEL_NAMES = ["softmax", "cnn"] as const;
/** One of {@linkcode MODEL_NAMES}. */
export type ModelName = typeof MODEL_NAMES[number];

/** How each model is trained by default (chosen to reach the seed's accuracy on 2 cores). */
export interface TrainingDefaults {
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "sgd" | "adam";
}

/** Default training settings per model. */
export const TRAINING_DEFAULTS: Readonly<
  Record<ModelName, Readonly<TrainingDefaults>>
> = Object
  .freeze({
    // The TF tutorial: plain gradient descent at 0.5 on batches of 100 (5 epochs: 92.4 %).
    softmax: { epochs: 5, batchSize: 100, learningRate: 0.5, optimizer: "sgd" },
    // Adam at 1e-3 (the tutorial uses 1e-4 for 20k steps; 1e-3 gets to 99 % in 3 epochs).
    cnn: { epochs: 3, batchSize: 64, learningRate: 1e-3, optimizer: "adam" },
  });

/** Checks a model name, with the valid ones in the error. */
export function parseModelName(name: string): ModelName {
  if ((MODEL_NAMES as readonly string[]).includes(name)) {
    return name as ModelName;
  }
  throw new UsageError(
    `Unknown model "${name}": valid models are ${MODEL_NAMES.map((m) => `"${m}"`).join(", ")}`,
  );
}
