/**
 * Data-parallel training on every core: N Deno module workers, each with its own tfjs wasm
 * backend (single-threaded) and a replica of the network. Per step the batch is split into N
 * contiguous slices; each worker computes its slice's gradient into shared memory; then each
 * worker sums all N gradients (in worker order) for the 1/N of the parameters it owns and
 * applies the optimizer to them in the shared weights (a reduce-scatter: the sum and Adam run
 * in parallel too). Only two small control messages per worker cross threads per step; the
 * weights, moments, gradients and batch live in SharedArrayBuffers.
 *
 * The same seed, data and worker count give the same bytes: every sum has a fixed order and
 * each worker's arithmetic is single-threaded. A different worker count splits the batch (and
 * its dropout masks) differently, so it trains a slightly different, equally good model.
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { ModelName } from "../common/model_names.ts";
import { splitEvenly } from "./workers.ts";
import type { GradRequest, UpdateRequest, WorkerInit } from "./parallel_worker.ts";

type Named = { name: string; tensor: tf.Tensor };

/** What the training loop needs from a trainer: one optimizer step on a batch. */
export interface BatchTrainer {
  /**
   * Trains on the first `count` rows of `images` (784 floats each) and `labels`; `step` counts
   * batches from 0 over the whole run (it seeds dropout). Returns the batch's mean loss and
   * accuracy, like tfjs's `trainOnBatch`.
   */
  trainOnBatch(
    images: Float32Array,
    labels: Int32Array,
    count: number,
    step: number,
  ): Promise<[number, number]>;
}

/** A data-parallel trainer: also syncs its state into the tfjs model, and must be closed. */
export interface ParallelTrainer extends BatchTrainer {
  readonly workers: number;
  /** Copies the shared weights and optimizer state into `network` and its optimizer. */
  syncTo(network: tfl.LayersModel): Promise<void>;
  /** Stops the workers. */
  close(): void;
}

/** Options for {@linkcode startParallelTrainer}. */
export interface ParallelOptions {
  model: ModelName;
  seed: number;
  workers: number;
  /** The largest batch it will be given. */
  batchSize: number;
  optimizer: "adam" | "sgd";
  learningRate: number;
}

// Over 80 lines: the trainer's methods close over the workers and the shared weight buffers it
// starts; they are one object's state, not separable steps.
/**
 * Starts `options.workers` workers whose replicas begin from `network`'s current weights and
 * optimizer state (a fresh network, or one a checkpoint restored).
 */
export async function startParallelTrainer(
  network: tfl.LayersModel,
  options: ParallelOptions,
): Promise<ParallelTrainer> {
  const { workers: n, batchSize } = options;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`workers must be ≥ 1, not ${n}`);
  const shapes = network.trainableWeights.map((w) => w.shape as number[]);
  // Weight i is [offsets[i], offsets[i + 1]) of the flat vectors (weights, moments, gradients).
  const offsets = [0];
  for (const shape of shapes) {
    offsets.push(offsets[offsets.length - 1] + tf.util.sizeFromShape(shape));
  }
  const total = offsets[shapes.length];
  const weights = new SharedArrayBuffer(total * 4);
  const moments = new SharedArrayBuffer(total * 8);
  const gradients = new SharedArrayBuffer(total * 4 * n);
  const images = new SharedArrayBuffer(batchSize * 784 * 4);
  const labels = new SharedArrayBuffer(batchSize * 4);
  const params = new Float32Array(weights);
  const m = new Float32Array(moments, 0, total), v = new Float32Array(moments, total * 4, total);
  const imageView = new Float32Array(images), labelView = new Int32Array(labels);
  network.trainableWeights.forEach((w, i) => params.set(w.read().dataSync(), offsets[i]));
  /** Weight i's slice of a flat vector, as a tensor of its shape. */
  const perWeight = (flat: Float32Array) =>
    shapes.map((shape, i) => tf.tensor(flat.slice(offsets[i], offsets[i + 1]), shape));
  // The step count (and Adam's moments) where a checkpoint restored them; 0 when fresh.
  let iteration = (network.optimizer as unknown as { iterations?: number }).iterations ?? 0;
  if (options.optimizer === "adam") {
    const saved = await network.optimizer.getWeights();
    const restored = saved.filter((s) => s.name.endsWith("/m") || s.name.endsWith("/v"));
    if (restored.length > 0 && restored.length !== 2 * shapes.length) {
      throw new RangeError(
        `The optimizer holds ${restored.length} moments for ${shapes.length} weights, not ${
          2 * shapes.length
        }`,
      );
    }
    for (let i = 0; i < restored.length / 2; i++) {
      m.set(restored[i].tensor.dataSync(), offsets[i]);
      v.set(restored[shapes.length + i].tensor.dataSync(), offsets[i]);
    }
  }

  const owned = splitEvenly(total, n);
  const pool: Worker[] = [];
  const replies: ((data: Record<string, unknown>) => void)[] = [];
  const failures: ((error: Error) => void)[] = [];
  const next = (w: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      replies[w] = resolve;
      failures[w] = reject;
    });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const worker of pool) worker.terminate();
  };
  const all = async (send: (w: number) => unknown) => {
    const waits = pool.map((_, w) => next(w));
    pool.forEach((worker, w) => worker.postMessage(send(w)));
    return await Promise.all(waits);
  };
  // Workers that started are stopped if a later one, or any one's initialisation, fails.
  try {
    for (let w = 0; w < n; w++) {
      const worker = new Worker(new URL("./parallel_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (event: MessageEvent<Record<string, unknown>>) => {
        if (event.data.type === "error") {
          failures[w]?.(new Error(`training worker ${w + 1}/${n}: ${event.data.message}`));
        } else replies[w]?.(event.data);
      };
      worker.onerror = (event) => {
        event.preventDefault();
        failures[w]?.(new Error(`training worker ${w + 1}/${n}: ${event.message}`));
      };
      pool.push(worker);
    }
    await all((w): WorkerInit => ({
      type: "init",
      index: w,
      workers: n,
      model: options.model,
      seed: options.seed,
      optimizer: options.optimizer,
      learningRate: options.learningRate,
      weights,
      moments,
      gradients,
      images,
      labels,
      owned: owned[w],
    }));
  } catch (error) {
    close();
    throw error;
  }

  return {
    workers: n,
    async trainOnBatch(x, y, count, step) {
      imageView.set(x.subarray(0, count * 784));
      labelView.set(y.subarray(0, count));
      const slices = splitEvenly(count, n);
      const done = await all((w): GradRequest => ({
        type: "grad",
        step,
        start: slices[w][0],
        count: slices[w][1] - slices[w][0],
        batch: count,
      }));
      iteration++;
      await all((): UpdateRequest => ({ type: "update", iteration }));
      let loss = 0, correct = 0;
      for (const d of done) {
        loss += d.loss as number;
        correct += d.correct as number;
      }
      return [loss, correct / count];
    },
    async syncTo(target) {
      const values = perWeight(params);
      // Non-trainable weights (none in the zoo's classifiers) keep their values.
      target.trainableWeights.forEach((w, i) => w.write(values[i]));
      tf.dispose(values);
      const names = target.trainableWeights.map((w) => (w.read() as tf.Variable).name);
      // tfjs's order: the step count, every first moment, every second moment.
      const state: Named[] = [{ name: "iter", tensor: tf.scalar(iteration, "int32") }];
      if (options.optimizer === "adam") {
        for (const [suffix, flat] of [["m", m], ["v", v]] as const) {
          perWeight(flat).forEach((tensor, i) =>
            state.push({ name: `${names[i]}/${suffix}`, tensor })
          );
        }
      }
      // tfjs's setWeights replaces the optimizer's moment variables without freeing the old ones
      // (and makes new variables of the tensors given): free both, or every sync leaks a copy.
      const old = await target.optimizer.getWeights();
      await target.optimizer.setWeights(state);
      tf.dispose([...old.map((w) => w.tensor), ...state.map((w) => w.tensor)]);
    },
    close,
  };
}
