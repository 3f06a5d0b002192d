/** The training loop: seeded shuffling and dropout, batches from MNIST, evaluation. */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { createPrng, deriveSeed, shuffleInPlace } from "../common/prng.ts";
import { accuracy } from "../common/probabilities.ts";
import type { MnistSet } from "../common/mnist.ts";
import type { TrainPosition } from "./checkpoint.ts";
import type { BatchTrainer } from "./parallel.ts";

/** What {@linkcode trainModel} reports after each batch. */
export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Samples seen so far, over all epochs. */
  samples: number;
  totalSamples: number;
  /** Running mean of the loss and accuracy over the current epoch. */
  loss: number;
  accuracy: number;
  samplesPerSecond: number;
}

/** Options for {@linkcode trainModel}. */
export interface TrainOptions {
  epochs: number;
  batchSize: number;
  /** Seeds the shuffling and the dropout masks (initialisation is seeded when building). */
  seed: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Stops between batches (after writing a checkpoint, when `checkpoint` is given). */
  signal?: AbortSignal;
  /** Where a checkpointed run stood: continue from there (model and optimizer already restored). */
  resume?: TrainPosition;
  /** Saves the position: called at the end of every epoch but the last, and when stopped. */
  checkpoint?: (position: TrainPosition) => Promise<void>;
  /** Stop after this many steps (batches), mid-epoch if need be (a recipe counted in steps). */
  maxSteps?: number;
  /**
   * Takes the optimizer steps instead of `model.trainOnBatch` (the data-parallel workers); the
   * model's weights are then the trainer's to sync back.
   */
  trainer?: BatchTrainer;
}

/** The result of {@linkcode trainModel}. */
export interface TrainStats {
  epochs: number;
  samples: number;
  trainSeconds: number;
  samplesPerSecond: number;
  history: { epoch: number; loss: number; accuracy: number }[];
}

/** Layers whose randomness we re-seed per step (tfjs's dropout with a fixed seed repeats its mask). */
interface SeedableLayer {
  seed?: number;
}

// Over 80 lines: one epoch loop whose shuffling, dropout seeds, checkpoints and stop signal share
// its counters; the parts are short and read in the order they run.
/**
 * Trains a compiled model on `data` with seeded shuffling and per-step dropout seeds, so the
 * same seed gives the same weights on the same machine.
 */
export async function trainModel(
  model: tfl.LayersModel,
  data: MnistSet,
  options: TrainOptions,
): Promise<TrainStats> {
  const { epochs, batchSize, seed } = options;
  const size = data.rows * data.cols;
  const prng = createPrng(deriveSeed(seed, "shuffle"));
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const dropouts = model.layers.filter((l) =>
    l.getClassName() === "Dropout"
  ) as unknown as SeedableLayer[];
  const xBuffer = new Float32Array(batchSize * size);
  const labels = new Int32Array(batchSize);
  const r = options.resume;
  const history: TrainStats["history"] = r ? [...r.history] : [];
  const start = performance.now() - (r?.elapsedSeconds ?? 0) * 1000;
  let samples = r?.samples ?? 0, step = r?.step ?? 0;
  if (r) {
    if (r.order.length !== order.length) {
      throw new RangeError(
        `Cannot resume: the checkpoint orders ${r.order.length} images, not ${order.length}`,
      );
    }
    order.set(r.order);
    prng.setState(r.prngState);
  }
  let lossSum = r?.lossSum ?? 0, accSum = r?.accSum ?? 0, seen = r?.seen ?? 0;
  const position = (epoch: number, offset: number, shuffled: boolean): TrainPosition => ({
    epoch,
    offset,
    step,
    samples,
    shuffled,
    order,
    prngState: prng.getState(),
    lossSum,
    accSum,
    seen,
    history: [...history],
    elapsedSeconds: (performance.now() - start) / 1000,
  });
  const trainOnMainThread = async (n: number) => {
    for (const layer of dropouts) {
      layer.seed = deriveSeed(seed, "dropout", step);
    }
    const x = tf.tensor4d(xBuffer.subarray(0, n * size), [
      n,
      data.rows,
      data.cols,
      1,
    ]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels.subarray(0, n), "int32"), 10));
    try {
      return await model.trainOnBatch(x, y) as number[];
    } finally {
      tf.dispose([x, y]);
    }
  };
  const maxSteps = options.maxSteps ?? Infinity;
  const totalSamples = Math.min(epochs * data.count, maxSteps * batchSize);
  for (let epoch = r?.epoch ?? 1; epoch <= epochs && step < maxSteps; epoch++) {
    // The running sums start at 0 (each epoch's end resets them) or where a checkpoint left them.
    const resumed = r !== undefined && epoch === r.epoch && r.shuffled;
    if (!resumed) shuffleInPlace(order, prng);
    for (
      let offset = resumed ? r.offset : 0;
      offset < data.count && step < maxSteps;
      offset += batchSize
    ) {
      if (options.signal?.aborted) {
        await options.checkpoint?.(position(epoch, offset, true));
        options.signal.throwIfAborted();
      }
      const n = Math.min(batchSize, data.count - offset);
      for (let i = 0; i < n; i++) {
        const index = order[offset + i];
        xBuffer.set(
          data.images.subarray(index * size, (index + 1) * size),
          i * size,
        );
        labels[i] = data.labels[index];
      }
      const [loss, accuracy] = options.trainer
        ? await options.trainer.trainOnBatch(xBuffer, labels, n, step)
        : await trainOnMainThread(n);
      lossSum += loss * n;
      accSum += accuracy * n;
      seen += n;
      samples += n;
      step++;
      // Let timers (progress output) and signal handlers (Ctrl-C) run: wasm work never yields.
      // (Waiting for the workers already does, and they would idle through a timer's delay.)
      if (!options.trainer) await new Promise((resolve) => setTimeout(resolve, 0));
      options.onProgress?.({
        epoch,
        epochs,
        samples,
        totalSamples,
        loss: lossSum / seen,
        accuracy: accSum / seen,
        samplesPerSecond: samples / ((performance.now() - start) / 1000),
      });
    }
    history.push({ epoch, loss: lossSum / seen, accuracy: accSum / seen });
    lossSum = 0, accSum = 0, seen = 0;
    if (epoch < epochs && step < maxSteps) {
      await options.checkpoint?.(position(epoch + 1, 0, false));
    }
  }
  for (const layer of dropouts) delete layer.seed;
  const trainSeconds = (performance.now() - start) / 1000;
  return {
    epochs,
    samples,
    trainSeconds,
    samplesPerSecond: samples > 0 ? samples / trainSeconds : 0,
    history,
  };
}

/** Class probabilities for `set.count` images (row-major 28×28 floats), predicted in chunks. */
export function predictProbabilities(
  model: tfl.LayersModel,
  set: { images: Float32Array; count: number },
  { batchSize = 500 }: { batchSize?: number } = {},
): Float32Array {
  const { images, count } = set;
  const out = new Float32Array(count * 10);
  for (let offset = 0; offset < count; offset += batchSize) {
    const n = Math.min(batchSize, count - offset);
    const probs = tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(offset * 784, (offset + n) * 784), [
        n,
        28,
        28,
        1,
      ]);
      return model.predict(x) as tf.Tensor;
    });
    out.set(probs.dataSync() as Float32Array, offset * 10);
    probs.dispose();
  }
  return out;
}

/** Fraction of `data` the model classifies correctly. */
export function evaluateAccuracy(model: tfl.LayersModel, data: MnistSet): number {
  return accuracy(predictProbabilities(model, data), data.labels);
}
