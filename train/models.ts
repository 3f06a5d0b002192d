/** The two MNIST classifiers of the experiment, built on demand (nothing at import time). */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { deriveSeed } from "../common/prng.ts";
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

/** Builds (uncompiled) `name` with every initializer seeded from `seed`. */
export function buildModel(name: ModelName, seed: number): tfl.Sequential {
  return name === "softmax" ? buildSoftmax(seed) : buildCnn(seed);
}

/** Exercise 1: softmax regression on the 784 raw pixels. */
export function buildSoftmax(seed: number): tfl.Sequential {
  const model = tfl.sequential({ name: "softmax" });
  model.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
  model.add(tfl.layers.dense({
    units: 10,
    activation: "softmax",
    kernelInitializer: tfl.initializers.glorotUniform({
      seed: deriveSeed(seed, "dense"),
    }),
    name: "dense",
  }));
  return model;
}

/**
 * Exercise 2, the TensorFlow "Deep MNIST" CNN: conv 5×5×32 → pool → conv 5×5×64 → pool →
 * dense 1024 → dropout 0.5 → dense 10 → softmax.
 */
export function buildCnn(seed: number): tfl.Sequential {
  const init = (layer: string) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layer) });
  const model = tfl.sequential({ name: "cnn" });
  model.add(tfl.layers.conv2d({
    inputShape: [28, 28, 1],
    filters: 32,
    kernelSize: 5,
    padding: "same",
    activation: "relu",
    kernelInitializer: init("conv1"),
    name: "conv1",
  }));
  model.add(
    tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool1" }),
  );
  model.add(tfl.layers.conv2d({
    filters: 64,
    kernelSize: 5,
    padding: "same",
    activation: "relu",
    kernelInitializer: init("conv2"),
    name: "conv2",
  }));
  model.add(
    tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: "pool2" }),
  );
  model.add(tfl.layers.flatten({ name: "flatten" }));
  model.add(tfl.layers.dense({
    units: 1024,
    activation: "relu",
    kernelInitializer: init("fc1"),
    name: "fc1",
  }));
  model.add(tfl.layers.dropout({ rate: 0.5, name: "dropout" }));
  model.add(tfl.layers.dense({
    units: 10,
    activation: "softmax",
    kernelInitializer: init("fc2"),
    name: "fc2",
  }));
  return model;
}

/** Number of trainable parameters. */
export function countParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce(
    (n, w) => n + (w.shape as number[]).reduce((a, b) => a * b, 1),
    0,
  );
}

/** Compiles `model` with categorical cross-entropy and the optimizer of `defaults`. */
export function compileModel(
  model: tfl.LayersModel,
  defaults: TrainingDefaults,
): void {
  const optimizer = defaults.optimizer === "sgd"
    ? tf.train.sgd(defaults.learningRate)
    : tf.train.adam(defaults.learningRate);
  model.compile({
    optimizer,
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
}
