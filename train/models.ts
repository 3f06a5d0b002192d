/** The zoo's MNIST classifiers, built on demand (nothing at import time). */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { deriveSeed } from "../common/prng.ts";
import { type ModelName, TRAINING_DEFAULTS, type TrainingDefaults } from "../common/model_names.ts";

/** Builds (uncompiled) classifier `name` with every initializer seeded from `seed`. */
export function buildModel(name: ModelName, seed: number): tfl.Sequential {
  const { architecture, init } = TRAINING_DEFAULTS[name];
  switch (architecture) {
    case "softmax":
      return buildSoftmax(seed, init === "zeros");
    case "cnn":
      return buildCnn(seed, init === "tutorial");
    case "lenet":
      return buildLenet(seed);
    case "mlp":
      return buildMlp(seed);
    case "vae":
      throw new Error(`Cannot build ${name} as a classifier: it is a generator (train/vae.ts)`);
  }
}

/** Exercise 1: softmax regression on the 784 raw pixels. */
export function buildSoftmax(seed: number, zeros = false): tfl.Sequential {
  const model = tfl.sequential({ name: "softmax" });
  model.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
  model.add(tfl.layers.dense({
    units: 10,
    activation: "softmax",
    // The tutorial starts from W = 0 (the softmax's gradient breaks the symmetry).
    kernelInitializer: zeros
      ? tfl.initializers.zeros()
      : tfl.initializers.glorotUniform({ seed: deriveSeed(seed, "dense") }),
    name: "dense",
  }));
  return model;
}

/**
 * Exercise 2, the TensorFlow "Deep MNIST" CNN: conv 5×5×32 → pool → conv 5×5×64 → pool →
 * dense 1024 → dropout 0.5 → dense 10 → softmax.
 */
export function buildCnn(seed: number, tutorial = false): tfl.Sequential {
  // The tutorial's weight_variable and bias_variable: truncated normal σ 0.1, biases 0.1.
  const init = (layer: string) =>
    tutorial
      ? tfl.initializers.truncatedNormal({ stddev: 0.1, seed: deriveSeed(seed, layer) })
      : tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layer) });
  const bias = tutorial ? { biasInitializer: tfl.initializers.constant({ value: 0.1 }) } : {};
  const model = tfl.sequential({ name: "cnn" });
  addConvPool(model, 1, {
    filters: 32,
    padding: "same",
    kernelInitializer: init("conv1"),
    ...bias,
  });
  addConvPool(model, 2, {
    filters: 64,
    padding: "same",
    kernelInitializer: init("conv2"),
    ...bias,
  });
  model.add(tfl.layers.flatten({ name: "flatten" }));
  model.add(tfl.layers.dense({
    units: 1024,
    activation: "relu",
    kernelInitializer: init("fc1"),
    ...bias,
    name: "fc1",
  }));
  model.add(tfl.layers.dropout({ rate: 0.5, name: "dropout" }));
  model.add(tfl.layers.dense({
    units: 10,
    activation: "softmax",
    kernelInitializer: init("fc2"),
    ...bias,
    name: "fc2",
  }));
  return model;
}

/** LeNet-5's shape: conv 5×5×6 (valid) → pool → conv 5×5×16 (valid) → pool → 120 → 84 → 10. */
export function buildLenet(seed: number): tfl.Sequential {
  const init = (layer: string) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layer) });
  const model = tfl.sequential({ name: "lenet" });
  addConvPool(model, 1, { filters: 6, padding: "valid", kernelInitializer: init("conv1") });
  addConvPool(model, 2, { filters: 16, padding: "valid", kernelInitializer: init("conv2") });
  model.add(tfl.layers.flatten({ name: "flatten" }));
  addDenseHead(model, [120, 84], init);
  return model;
}

/**
 * Block `i` of a convolutional network: a 5×5 ReLU convolution `conv<i>` (the first one takes
 * the 28×28×1 image), then a 2×2 max pool `pool<i>`.
 */
function addConvPool(
  model: tfl.Sequential,
  i: 1 | 2,
  layer: {
    filters: number;
    padding: "same" | "valid";
    kernelInitializer: ReturnType<typeof tfl.initializers.glorotUniform>;
    biasInitializer?: ReturnType<typeof tfl.initializers.constant>;
  },
): void {
  model.add(tfl.layers.conv2d({
    ...(i === 1 ? { inputShape: [28, 28, 1] } : {}),
    kernelSize: 5,
    activation: "relu",
    ...layer,
    name: `conv${i}`,
  }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i}` }));
}

/** ReLU layers of `hidden` units (fc1, fc2, …), then a softmax over the ten digits. */
function addDenseHead(
  model: tfl.Sequential,
  hidden: number[],
  init: (layer: string) => ReturnType<typeof tfl.initializers.glorotUniform>,
): void {
  hidden.forEach((units, i) => {
    const name = `fc${i + 1}`;
    model.add(tfl.layers.dense({ units, activation: "relu", kernelInitializer: init(name), name }));
  });
  const name = `fc${hidden.length + 1}`;
  model.add(tfl.layers.dense({
    units: 10,
    activation: "softmax",
    kernelInitializer: init(name),
    name,
  }));
}

/** A multilayer perceptron: 784 → 256 → 128 → 10 with ReLU; it sees pixels, not shapes. */
export function buildMlp(seed: number): tfl.Sequential {
  const init = (layer: string) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layer) });
  const model = tfl.sequential({ name: "mlp" });
  model.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
  addDenseHead(model, [256, 128], init);
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
