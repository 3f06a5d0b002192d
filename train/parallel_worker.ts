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
import type { ModelName } from "./model_names.ts";

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

/** Adam's constants: tfjs's defaults (tf.train.adam(lr) with beta1 0.9, beta2 0.999). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/** tfjs-layers' epsilon for categorical cross-entropy's clipping. */
const EPSILON = 1e-7;

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

/**
 * A float32 tensor's values without copying them out of the wasm heap first (the backend's
 * own accessor; valid until the next allocation). Any other backend: a copy.
 */
function heapView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.Tensor): Float32Array };
  return backend.typedArrayFromHeap ? backend.typedArrayFromHeap(t) : t.dataSync() as Float32Array;
}

/** A Dense layer's parts (tfjs-layers keeps them as fields). */
interface DenseParts {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}

/** Kernels at least this large go through the transposed product below. */
const WIDE = 1 << 17;

/**
 * The network's training-mode forward pass, layer by layer. A wide Dense layer computes
 * x·W as (Wᵀ·xᵀ)ᵀ: the wasm backend packs a matMul's right operand on every call, and W
 * changes every step, so the plain product repacks 3.2 M weights each time (and its
 * gradient dy·Wᵀ once more); here the right operands are the batch-sized ones.
 */
const wideProduct = tf.customGrad(
  ((h: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
    save([h, w]);
    return {
      value: tf.transpose(tf.matMul(tf.transpose(w), tf.transpose(h))),
      gradFunc: (dy: tf.Tensor, [h, w]: tf.Tensor[]) => [
        tf.transpose(tf.matMul(w, tf.transpose(dy))),
        tf.matMul(tf.transpose(h), dy),
      ],
    };
  }) as unknown as (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    value: tf.Tensor;
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
  },
) as unknown as (h: tf.Tensor, w: tf.Tensor) => tf.Tensor;

export function forward(model: tfl.Sequential, x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of model.layers) {
    const dense = layer as unknown as DenseParts;
    if (layer.getClassName() === "Dense" && h.rank === 2 && dense.kernel.read().size >= WIDE) {
      let y = wideProduct(h, dense.kernel.read());
      if (dense.bias) y = tf.add(y, dense.bias.read());
      h = dense.activation ? dense.activation.apply(y) : y;
    } else h = layer.apply(h, { training: true }) as tf.Tensor;
  }
  return h;
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
  let loss = 0, correct = 0;
  tf.tidy(() => {
    const x = tf.tensor4d(s.images.subarray(start * 784, (start + count) * 784), [
      count,
      28,
      28,
      1,
    ]);
    const labels = tf.tensor1d(s.labels.subarray(start, start + count), "int32");
    const y = tf.oneHot(labels, 10);
    let probs: tf.Tensor | null = null;
    // The batch's mean loss is the sum over workers of each slice's summed loss / batch.
    const { value, grads } = tf.variableGrads(() => {
      const p = forward(s.model, x);
      probs = tf.keep(p);
      const q = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), EPSILON, 1 - EPSILON);
      return tf.div(tf.neg(tf.sum(tf.mul(y, tf.log(q)))), batch) as tf.Scalar;
    }, s.variables);
    loss = value.dataSync()[0];
    const predicted = tf.argMax(probs!, -1);
    correct = tf.sum(tf.cast(tf.equal(predicted, labels), "int32")).dataSync()[0];
    tf.dispose(probs!);
    for (let i = 0; i < s.variables.length; i++) {
      out.set(heapView(grads[s.variables[i].name]), s.offsets[i]);
    }
  });
  return { loss, correct };
}

function update({ iteration }: UpdateRequest): void {
  const s = state!;
  const [lo, hi] = s.init.owned;
  const { params, grads, sum } = s;
  // The owned range's gradient: worker 0's + worker 1's + …, in that order, in doubles.
  const g0 = grads[0];
  if (grads.length === 1) { for (let i = lo; i < hi; i++) sum[i - lo] = g0[i]; }
  else {
    const g1 = grads[1];
    for (let i = lo; i < hi; i++) sum[i - lo] = g0[i] + g1[i];
    for (let w = 2; w < grads.length; w++) {
      const region = grads[w];
      for (let i = lo; i < hi; i++) sum[i - lo] += region[i];
    }
  }
  const lr = s.init.learningRate;
  if (s.init.optimizer === "sgd") {
    for (let i = lo; i < hi; i++) params[i] -= lr * sum[i - lo];
    return;
  }
  const { beta1, beta2, epsilon } = ADAM;
  // Adam with its bias corrections folded into the step and the second moment's scale.
  const step = lr / (1 - beta1 ** iteration), scale = 1 / (1 - beta2 ** iteration);
  const { m, v } = s;
  for (let i = lo; i < hi; i++) {
    const gi = sum[i - lo];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    params[i] -= step * mi / (Math.sqrt(vi * scale) + epsilon);
  }
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
