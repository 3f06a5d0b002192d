/** Train → evaluate → save artifacts → export ONNX, as one step with self-describing outputs. */

import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_MODELS_DIR, sha256Hex, writeJsonAtomic } from "../common/files.ts";
import { acquireLock } from "../common/lock.ts";
import { useBackend } from "./backend.ts";
import { installFastGradients } from "./fast_gradients.ts";
import { loadMnist, MNIST_SPLITS } from "../common/mnist.ts";
import { buildModel, compileModel, countParameters } from "./models.ts";
import {
  type Architecture,
  checkpointPathFor,
  maxTrainImages,
  type ModelName,
  TRAINING_DEFAULTS,
} from "../common/model_names.ts";
import { buildVae, evaluateVae, trainVae } from "./vae.ts";
import { saveTfjsModel } from "./artifacts.ts";
import { evaluateAccuracy, trainModel, type TrainProgress } from "./train.ts";
import { exportOnnxFile } from "./export_onnx.ts";
import {
  type CheckpointKey,
  checkpointWorkers,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { type ParallelTrainer, startParallelTrainer } from "./parallel.ts";
import { defaultWorkersFor } from "./workers.ts";

/** What `models/<model>.json` holds: the model's description of itself. */
export interface ModelMetadata {
  model: ModelName;
  architecture: Architecture;
  description: string;
  testAccuracy: number;
  epochs: number;
  /** Recipes counted in steps: the steps trained (the last epoch partial). */
  steps?: number;
  batchSize: number;
  seed: number;
  /** Data-parallel workers it trained with (1: the main thread; absent in older files). */
  workers?: number;
  trainSamples: number;
  /** Training images held out before `trainSamples` (the tutorial's validation split). */
  heldOut?: number;
  learningRate?: number;
  optimizer?: string;
  /** A published recipe's numbers, each with where it comes from. */
  recipe?: Readonly<Record<string, string>>;
  trainSeconds: number;
  samplesPerSecond: number;
  parameters: number;
  backend: string;
  history: { epoch: number; loss: number; accuracy: number }[];
  versions: { tfjs: string; deno: string; v8: string };
  createdAt: string;
  sha256: { weights: string; onnx: string };
}

/** What `models/vae.json` holds: a generator has a test loss, not an accuracy. */
export interface GeneratorMetadata extends Omit<ModelMetadata, "testAccuracy"> {
  latentDim: number;
  /** Negative ELBO per test image (nats). */
  testLoss: number;
  /** Mean Euclidean distance of a test digit to its reconstruction (pixels in [0, 1]). */
  reconstructionDistance: number;
}

/** Options for {@linkcode trainAndSave}. */
export interface TrainAndSaveOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  /**
   * Train on `limit` images: the first ones after those a recipe holds out (default: all,
   * {@linkcode maxTrainImages}); more than that is a RangeError.
   */
  limit?: number;
  /** Stop after this many steps (a recipe counted in steps; default: whole epochs). */
  steps?: number;
  modelsDir?: string;
  /**
   * Data-parallel workers (default: {@linkcode defaultWorkersFor}); 1 trains on the main
   * thread. The same seed and worker count give the same bytes.
   */
  workers?: number;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
  /** Called with the checkpoint's path each time one has been written (each epoch, a stop). */
  onCheckpoint?: (path: string) => void;
  /** Called when training ends, before evaluation (to close a progress bar). */
  onTrained?: () => void;
  log?: (line: string) => void;
}

/**
 * Trains `model` on MNIST with the fast wasm path, evaluates it on all 10,000 test images,
 * and writes `<modelsDir>/<model>.tfjs/`, `<model>.onnx` and `<model>.json`.
 */
export async function trainAndSave(
  model: ModelName,
  options: TrainAndSaveOptions,
): Promise<ModelMetadata | GeneratorMetadata> {
  // One trainer per model and folder: two would write the same checkpoint and artifacts.
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  await Deno.mkdir(modelsDir, { recursive: true });
  const lock = await acquireLock(`${modelsDir}/${model}.train.lock`, {
    hint:
      `Another process is training ${model} into ${modelsDir}/. Wait for it to finish (a run that died releases its lock by itself); its checkpoint is continued by the next run.`,
  });
  try {
    return TRAINING_DEFAULTS[model].architecture === "vae"
      ? await trainAndSaveVae(model, options)
      : await trainAndSaveClassifier(model, options);
  } finally {
    await lock.release();
  }
}

// Over 80 lines: the pipeline's steps in order (data, network, checkpoint, workers, training,
// export), each using what the one before made, under one finally that releases the workers.
async function trainAndSaveClassifier(
  model: ModelName,
  options: TrainAndSaveOptions,
): Promise<ModelMetadata> {
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  const log = options.log ?? (() => {});
  await useBackend("wasm");
  installFastGradients();
  const recipe = TRAINING_DEFAULTS[model];
  // A recipe may hold out the first images (the tutorial's validation split): `limit` counts
  // the images trained on, taken after them.
  const skip = recipe.skip ?? 0;
  const limit = trainLimit(model, options.limit);
  const [all, test] = await Promise.all([
    loadMnist("train", { limit: skip + limit }),
    loadMnist("test"),
  ]);
  const train = skip === 0 ? all : {
    ...all,
    images: all.images.subarray(skip * all.rows * all.cols),
    labels: all.labels.subarray(skip),
    count: all.count - skip,
  };
  const defaults = { ...recipe, batchSize: options.batchSize };
  // A recipe counted in steps starts as many epochs as those steps reach.
  const epochs = options.steps !== undefined
    ? Math.ceil((options.steps * options.batchSize) / train.count)
    : options.epochs;
  const network = buildModel(model, options.seed);
  compileModel(network, defaults);
  // Each epoch (and Ctrl-C) leaves a checkpoint; a run of the same training continues it.
  const checkpointPath = checkpointPathFor(model, modelsDir)!;
  const training: CheckpointKey = {
    model,
    seed: options.seed,
    epochs: epochs,
    batchSize: options.batchSize,
    trainSamples: train.count,
  };
  // Unless told, a run continues on as many workers as its checkpoint was written with (the
  // count splits batches, so another one could not continue it); else the default.
  const workers = options.workers ?? await checkpointWorkers(checkpointPath, training) ??
    defaultWorkersFor(model, options.batchSize);
  log(
    `Training ${model} on ${train.count} MNIST images for ${epochs} epoch(s), seed ${options.seed} (tfjs ${tf.getBackend()}, ${
      workers === 1 ? "main thread" : `${workers} workers`
    })`,
  );
  let trainer: ParallelTrainer | null = null;
  try {
    await Deno.mkdir(modelsDir, { recursive: true });
    const key: CheckpointKey = { ...training, workers };
    const restored = await loadCheckpoint(checkpointPath, key, network);
    if (restored.position) {
      log(
        `Resuming from ${checkpointPath}: epoch ${restored.position.epoch}, ${
          restored.position.samples.toLocaleString("en-US")
        } samples done`,
      );
    } else if (restored.reason) {
      log(`Not resuming: ${restored.reason}; training from the start`);
    }
    // The workers start from the network as built or as the checkpoint restored it.
    if (workers > 1) {
      trainer = await startParallelTrainer(network, {
        model,
        seed: options.seed,
        workers,
        batchSize: options.batchSize,
        optimizer: recipe.optimizer,
        learningRate: recipe.learningRate,
      });
    }
    const stats = await trainModel(network, train, {
      epochs: epochs,
      batchSize: options.batchSize,
      seed: options.seed,
      ...(options.steps !== undefined ? { maxSteps: options.steps } : {}),
      ...(restored.position ? { resume: restored.position } : {}),
      checkpoint: async (position) => {
        await trainer?.syncTo(network);
        await saveCheckpoint(checkpointPath, key, position, network);
        options.onCheckpoint?.(checkpointPath);
      },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(trainer ? { trainer } : {}),
    });
    await trainer?.syncTo(network);
    trainer?.close();
    options.onTrained?.();
    const testAccuracy = evaluateAccuracy(network, test);
    await Deno.mkdir(modelsDir, { recursive: true });
    // The metadata marks a complete model: drop the old one first, so a run killed while the
    // new artifacts are written leaves a model that reads as missing, not a mismatched one.
    await Deno.remove(`${modelsDir}/${model}.json`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const tfjsDir = `${modelsDir}/${model}.tfjs`;
    await saveTfjsModel(network, tfjsDir);
    const metaBase = {
      model,
      architecture: TRAINING_DEFAULTS[model].architecture,
      description: TRAINING_DEFAULTS[model].description,
      testAccuracy,
      epochs: epochs,
      ...(options.steps !== undefined ? { steps: options.steps } : {}),
      batchSize: options.batchSize,
      seed: options.seed,
      workers,
      trainSamples: train.count,
      ...(skip > 0 ? { heldOut: skip } : {}),
      learningRate: recipe.learningRate,
      optimizer: recipe.optimizer,
      ...(recipe.recipe ? { recipe: recipe.recipe } : {}),
      trainSeconds: stats.trainSeconds,
      samplesPerSecond: stats.samplesPerSecond,
      parameters: countParameters(network),
      backend: tf.getBackend(),
      history: stats.history,
      versions: {
        tfjs: tf.version_core,
        deno: Deno.version.deno,
        v8: Deno.version.v8,
      },
      createdAt: new Date().toISOString(),
    };
    const onnx = await exportOnnxFile(network, `${modelsDir}/${model}.onnx`, {
      modelName: model,
      metadata: {
        testAccuracy: String(testAccuracy),
        seed: String(options.seed),
      },
    });
    const meta: ModelMetadata = {
      ...metaBase,
      sha256: {
        weights: await sha256Hex(await Deno.readFile(`${tfjsDir}/weights.bin`)),
        onnx: await sha256Hex(onnx),
      },
    };
    // Written last: a models/<model>.json means the artifacts beside it are complete.
    await writeJsonAtomic(`${modelsDir}/${model}.json`, meta);
    await Deno.remove(checkpointPath).catch(() => {/* none was written (one epoch) */});
    log(
      `Wrote ${tfjsDir}/, ${modelsDir}/${model}.onnx and ${modelsDir}/${model}.json`,
    );
    return meta;
  } finally {
    trainer?.close();
    network.dispose();
  }
}

/**
 * Trains the VAE (no checkpoints: it takes minutes, and Ctrl-C leaves nothing behind), then
 * exports its decoder as `<model>.onnx` with `<model>.json` beside it.
 */
async function trainAndSaveVae(
  model: ModelName,
  options: TrainAndSaveOptions,
): Promise<GeneratorMetadata> {
  const modelsDir = options.modelsDir ?? DEFAULT_MODELS_DIR;
  const defaults = TRAINING_DEFAULTS[model];
  await useBackend("wasm");
  installFastGradients();
  const [train, test] = await Promise.all([
    loadMnist("train", { limit: trainLimit(model, options.limit) }),
    loadMnist("test"),
  ]);
  const vae = buildVae(options.seed);
  options.log?.(
    `Training ${model} on ${train.count} MNIST images for ${options.epochs} epoch(s), seed ${options.seed} (tfjs ${tf.getBackend()})`,
  );
  try {
    const stats = await trainVae(vae, train, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: defaults.learningRate,
      seed: options.seed,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    options.onTrained?.();
    const { testLoss, reconstructionDistance } = evaluateVae(vae, test);
    await Deno.mkdir(modelsDir, { recursive: true });
    await Deno.remove(`${modelsDir}/${model}.json`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const tfjsDir = `${modelsDir}/${model}.tfjs`;
    await saveTfjsModel(vae.decoder, tfjsDir);
    const onnx = await exportOnnxFile(vae.decoder, `${modelsDir}/${model}.onnx`, {
      modelName: model,
      metadata: { testLoss: String(testLoss), seed: String(options.seed) },
    });
    const meta: GeneratorMetadata = {
      model,
      architecture: defaults.architecture,
      description: defaults.description,
      latentDim: vae.latentDim,
      testLoss,
      reconstructionDistance,
      epochs: options.epochs,
      batchSize: options.batchSize,
      seed: options.seed,
      trainSamples: train.count,
      trainSeconds: stats.trainSeconds,
      samplesPerSecond: stats.samplesPerSecond,
      parameters: countParameters(vae.encoder) + countParameters(vae.decoder),
      backend: tf.getBackend(),
      history: stats.history,
      versions: { tfjs: tf.version_core, deno: Deno.version.deno, v8: Deno.version.v8 },
      createdAt: new Date().toISOString(),
      sha256: {
        weights: await sha256Hex(await Deno.readFile(`${tfjsDir}/weights.bin`)),
        onnx: await sha256Hex(onnx),
      },
    };
    await writeJsonAtomic(`${modelsDir}/${model}.json`, meta);
    options.log?.(`Wrote ${tfjsDir}/, ${modelsDir}/${model}.onnx and ${modelsDir}/${model}.json`);
    return meta;
  } finally {
    vae.encoder.dispose();
    vae.decoder.dispose();
  }
}

/** The number of images to train `model` on: `limit`, checked, or all it can. */
function trainLimit(model: ModelName, limit: number | undefined): number {
  const max = maxTrainImages(model);
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new RangeError(
      `Cannot train ${model}: limit must be an integer from 1 to ${max} (the training images${
        max < MNIST_SPLITS.train.count ? " left after its recipe's held-out ones" : ""
      }), received ${limit}`,
    );
  }
  return limit;
}
