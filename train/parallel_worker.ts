/**
 * One data-parallel training worker (a Deno module worker; see parallel.ts). It holds its own
 * tfjs wasm backend and a replica of the network, and on request:
 * - `grad`: loads the shared weights, computes the gradient of its slice of the batch and
 *   writes it into its own region of the shared gradient buffer;
 * - `update`: sums every worker's gradient for the parameters it owns, in worker order, and
 *   applies the optimizer step to those parameters in the shared weights.
 */

/// <reference lib="deno.worker" />

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { deriveSeed } from "../common/prng.ts";
import { useBackend } from "./backend.ts";
import { installFastGradients } from "./fast_gradients.ts";
import { buildModel } from "./models.ts";
import type { ModelName } from "../common/model_names.ts";
import { sliceGradient, sumAndStep } from "./worker_step.ts";

/** What the coordinator sends first. */
export interface WorkerInit {
  type: "init";
  index: number;
  workers: number;
  model: ModelName;
  seed: number;
  optimizer: "adam" | "sgd";
  learningRate: number;
  /** Shared: weights, Adam's moments, one gradient region per worker, the batch. */
  weights: SharedArrayBuffer;
  moments: SharedArrayBuffer;
  gradients: SharedArrayBuffer;
  images: SharedArrayBuffer;
  labels: SharedArrayBuffer;
  /** This worker's share of the parameters: [lo, hi) of the flat vector. */
  owned: [number, number];
}

/** A step's gradient request: rows [start, start + count) of a batch of `batch` images. */
export interface GradRequest {
  type: "grad";
  step: number;
  start: number;
  count: number;
  batch: number;
}

/** An optimizer step: `iteration` counts from 1 (Adam's bias correction). */
export interface UpdateRequest {
  type: "update";
  iteration: number;
}

let state: {
  init: WorkerInit;
  model: tfl.Sequential;
  variables: tf.Variable[];
  offsets: number[];
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  grads: Float32Array[];
  images: Float32Array;
  labels: Int32Array;
  dropouts: { seed?: number }[];
  sum: Float64Array;
} | null = null;

async function init(message: WorkerInit): Promise<void> {
  await useBackend("wasm");
  installFastGradients();
  const model = buildModel(message.model, message.seed);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const offsets = [0];
  for (const v of variables) offsets.push(offsets[offsets.length - 1] + v.size);
  const total = offsets[offsets.length - 1];
  state = {
    init: message,
    model,
    variables,
    offsets,
    params: new Float32Array(message.weights),
    m: new Float32Array(message.moments, 0, total),
    v: new Float32Array(message.moments, total * 4, total),
    grads: Array.from(
      { length: message.workers },
      (_, w) => new Float32Array(message.gradients, w * total * 4, total),
    ),
    images: new Float32Array(message.images),
    labels: new Int32Array(message.labels),
    sum: new Float64Array(message.owned[1] - message.owned[0]),
    dropouts: model.layers.filter((l) => l.getClassName() === "Dropout") as unknown as {
      seed?: number;
    }[],
  };
}

function grad(request: GradRequest): { loss: number; correct: number } {
  const s = state!;
  const { start, count, batch, step } = request;
  // Every replica starts the step from the same shared weights.
  for (let i = 0; i < s.variables.length; i++) {
    const v = s.variables[i];
    tf.tidy(() => v.assign(tf.tensor(s.params.subarray(s.offsets[i], s.offsets[i + 1]), v.shape)));
  }
  const out = s.grads[s.init.index];
  // A batch smaller than the pool leaves some workers nothing: their gradient is zero.
  if (count === 0) {
    out.fill(0);
    return { loss: 0, correct: 0 };
  }
  for (const layer of s.dropouts) {
    layer.seed = deriveSeed(s.init.seed, "dropout", step, s.init.index);
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(s.images.subarray(start * 784, (start + count) * 784), [
      count,
      28,
      28,
      1,
    ]);
    const labels = tf.tensor1d(s.labels.subarray(start, start + count), "int32");
    return sliceGradient(s.model, s.variables, x, labels, batch, out, s.offsets);
  });
}

function update({ iteration }: UpdateRequest): void {
  const s = state!;
  sumAndStep(s.grads, s.init.owned, s.sum, {
    optimizer: s.init.optimizer,
    learningRate: s.init.learningRate,
    iteration,
    params: s.params,
    m: s.m,
    v: s.v,
  });
}

self.onmessage = async (event: MessageEvent<WorkerInit | GradRequest | UpdateRequest>) => {
  const message = event.data;
  try {
    if (message.type === "init") {
      await init(message);
      self.postMessage({ type: "ready" });
    } else if (message.type === "grad") {
      self.postMessage({ type: "grad", ...grad(message) });
    } else {
      update(message);
      self.postMessage({ type: "updated" });
    }
  } catch (error) {
    self.postMessage({
      type: "error",
      message: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
    });
  }
};
