/**
 * The model zoo: every model identikit trains, by name, with its architecture, seed and
 * training recipe (no tfjs here, so configs can import it cheaply).
 */

import { UsageError } from "./errors.ts";

/** The two MNIST splits and their genuine sizes. */
export const MNIST_SPLITS = {
  train: {
    images: "train-images-idx3-ubyte",
    labels: "train-labels-idx1-ubyte",
    count: 60000,
  },
  test: {
    images: "t10k-images-idx3-ubyte",
    labels: "t10k-labels-idx1-ubyte",
    count: 10000,
  },
} as const;

/** Model names, as used on the command line and in configs. */
export const MODEL_NAMES = [
  "softmax",
  "cnn",
  "softmax-tutorial",
  "cnn-tutorial",
  "cnn-s2",
  "cnn-w1",
  "lenet",
  "mlp",
  "cnn-random",
  "vae",
] as const;
/** One of {@linkcode MODEL_NAMES}. */
export type ModelName = typeof MODEL_NAMES[number];

/** The network shapes the zoo's models are built from. */
export type Architecture = "softmax" | "cnn" | "lenet" | "mlp" | "vae";

/** How each model is built and trained (chosen to reach the seed's accuracy on 2 cores). */
export interface TrainingDefaults {
  architecture: Architecture;
  /** The training seed (initialisation, shuffling, dropout) unless `--seed` says otherwise. */
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: "sgd" | "adam";
  /** One line for `--help` and the README. */
  description: string;
  /** Generators: the latent vector's length. */
  latentDim?: number;
  /**
   * Train for exactly this many steps (batches) instead of whole epochs; `epochs` is then the
   * number of epochs those steps start (the last one partial).
   */
  steps?: number;
  /** Hold out the first `skip` training images (the tutorial's 5,000-image validation split). */
  skip?: number;
  /** Initialisation: Glorot uniform weights and zero biases, or the tutorial's. */
  init?: "glorot" | "tutorial" | "zeros";
  /**
   * Data-parallel workers when `--workers` is not given, where the recipe fixes it (it changes the
   * trained bytes); otherwise {@linkcode defaultWorkersFor}'s rule.
   */
  workers?: number;
  /** Every number of a published recipe, with where it comes from (copied into the metadata). */
  recipe?: Readonly<Record<string, string>>;
}

const TUTORIAL = 'TensorFlow r1 tutorial "Deep MNIST for Experts" (mnist_deep.py)';
const EXERCISE_1 = 'TensorFlow r1 tutorial "MNIST For ML Beginners" (mnist_softmax.py)';

/** cnn's recipe (Adam at 1e-3, 3 epochs of 64), which cnn-w1 trains on the main thread. */
const CNN_RECIPE = {
  architecture: "cnn",
  seed: 1,
  epochs: 3,
  batchSize: 64,
  learningRate: 1e-3,
  optimizer: "adam",
} as const;

/** Default training settings per model. */
export const TRAINING_DEFAULTS: Readonly<Record<ModelName, Readonly<TrainingDefaults>>> = Object
  .freeze({
    // The TF tutorial: plain gradient descent at 0.5 on batches of 100 (5 epochs: 92.4 %).
    softmax: {
      architecture: "softmax",
      seed: 1,
      epochs: 5,
      batchSize: 100,
      learningRate: 0.5,
      optimizer: "sgd",
      description: "softmax regression on the raw pixels (the tutorial's Exercise 1), ~92 %",
    },
    // Adam at 1e-3 (the tutorial uses 1e-4 for 20k steps; 1e-3 gets to 99 % in 3 epochs).
    cnn: {
      ...CNN_RECIPE,
      description: "the tutorial's CNN (5×5×32, 5×5×64, 1024, dropout), ~99.2 %",
    },
    "cnn-s2": {
      architecture: "cnn",
      seed: 2,
      epochs: 3,
      batchSize: 64,
      learningRate: 1e-3,
      optimizer: "adam",
      description: "the same CNN trained from another seed",
    },
    // The CNN of the first regime map: cnn's recipe on the main thread (99.24 %), so that the
    // stalls can be compared across networks by name (the stalls-on-every-network issue).
    "cnn-w1": {
      ...CNN_RECIPE,
      workers: 1,
      description: "cnn's recipe trained on the main thread (one worker, another model), ~99.2 %",
    },
    lenet: {
      architecture: "lenet",
      seed: 1,
      epochs: 4,
      batchSize: 64,
      learningRate: 1e-3,
      optimizer: "adam",
      description: "a LeNet-5-shaped CNN (5×5×6 valid, 5×5×16 valid, 120, 84), ~98.5 %",
    },
    mlp: {
      architecture: "mlp",
      seed: 1,
      epochs: 5,
      batchSize: 64,
      learningRate: 1e-3,
      optimizer: "adam",
      description: "a multilayer perceptron (784–256–128–10, ReLU), ~98 %",
    },
    // The seed's own networks, trained the tutorials' way (the stalls issue).
    "softmax-tutorial": {
      architecture: "softmax",
      seed: 1,
      epochs: 2,
      steps: 1000,
      skip: 5000,
      batchSize: 100,
      learningRate: 0.5,
      optimizer: "sgd",
      init: "zeros",
      description:
        "Exercise 1 trained the tutorial's way: zero init, gradient descent 0.5, 1,000 steps of 100",
      recipe: {
        weights: `zeros (W = tf.zeros([784, 10]), b = tf.zeros([10])) — ${EXERCISE_1}`,
        optimizer: `GradientDescentOptimizer(0.5) — ${EXERCISE_1}`,
        steps: `1,000 steps of mnist.train.next_batch(100) — ${EXERCISE_1}`,
        data:
          "the 55,000-image training split (training images 5,000–59,999; input_data holds out the first 5,000 for validation)",
      },
    },
    "cnn-tutorial": {
      architecture: "cnn",
      seed: 1,
      epochs: 19,
      steps: 20000,
      skip: 5000,
      batchSize: 50,
      learningRate: 1e-4,
      optimizer: "adam",
      init: "tutorial",
      description:
        "the tutorial's CNN trained its way: Adam 1e-4, 20,000 steps of 50 (≈ 18 epochs), ~99.2 %",
      recipe: {
        weights: `truncated normal, stddev 0.1 (weight_variable) — ${TUTORIAL}`,
        biases: `constant 0.1 (bias_variable) — ${TUTORIAL}`,
        layers:
          `conv 5×5×32 SAME + ReLU, max pool 2×2, conv 5×5×64 SAME + ReLU, max pool 2×2, dense 1024 + ReLU, dropout, dense 10 — ${TUTORIAL}`,
        dropout: `keep_prob 0.5 while training, 1.0 at test — ${TUTORIAL}`,
        optimizer: `AdamOptimizer(1e-4) on softmax cross-entropy — ${TUTORIAL}`,
        steps: `20,000 steps of mnist.train.next_batch(50) — ${TUTORIAL}`,
        data:
          "the 55,000-image training split (training images 5,000–59,999; input_data holds out the first 5,000 for validation)",
        difference:
          "batches are drawn from a seeded shuffle per epoch (next_batch shuffles per epoch too), in float32 tfjs-wasm instead of TensorFlow 1.x",
      },
    },
    // A control, not a classifier worth the name: what a search finds when the network knows
    // nothing (its initial weights), e.g. how much of an identikit the prior alone draws.
    "cnn-random": {
      architecture: "cnn",
      seed: 1,
      epochs: 0,
      batchSize: 64,
      learningRate: 1e-3,
      optimizer: "adam",
      description: "the CNN untrained (its random initial weights): a control, ~8 %",
    },
    vae: {
      architecture: "vae",
      seed: 1,
      epochs: 10,
      batchSize: 100,
      learningRate: 1e-3,
      optimizer: "adam",
      latentDim: 8,
      description:
        "a variational autoencoder (784–400–8 latent–400–784); its decoder is the learned prior",
    },
  });

/**
 * How many images `name` can train on: MNIST's 60,000 training images less those its recipe
 * holds out (the tutorial's validation split). `--limit N` takes N of them, after the held-out.
 */
export function maxTrainImages(name: ModelName): number {
  return MNIST_SPLITS.train.count - (TRAINING_DEFAULTS[name].skip ?? 0);
}

/**
 * Where training `name` into `modelsDir` keeps its checkpoint (written each epoch and when
 * stopped); null for the VAE, which trains in minutes and keeps none.
 */
export function checkpointPathFor(name: ModelName, modelsDir: string): string | null {
  return TRAINING_DEFAULTS[name].architecture === "vae" ? null : `${modelsDir}/${name}.ckpt`;
}

/** Whether a model is a generator (its ONNX file maps a latent vector to an image). */
export function isGenerator(name: ModelName): boolean {
  return TRAINING_DEFAULTS[name].architecture === "vae";
}

/** The zoo's generators (models a latent strategy can search through). */
export const GENERATOR_NAMES = MODEL_NAMES.filter((m) =>
  TRAINING_DEFAULTS[m].architecture === "vae"
);

/** Checks a model name, with the valid ones in the error. */
export function parseModelName(name: string): ModelName {
  if ((MODEL_NAMES as readonly string[]).includes(name)) {
    return name as ModelName;
  }
  throw new UsageError(
    `Unknown model "${name}": valid models are ${MODEL_NAMES.map((m) => `"${m}"`).join(", ")}`,
  );
}
