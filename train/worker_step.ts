/**
 * The arithmetic of one data-parallel training step, without the messaging (parallel_worker.ts
 * runs it in each worker; bench:train --ops profiles it on the main thread): the network's
 * forward pass as the workers compute it, and the gradient sum with the optimizer step over one
 * worker's share of the parameters.
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** Adam's constants: tfjs's defaults (tf.train.adam(lr) with beta1 0.9, beta2 0.999). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

/**
 * A float32 tensor's values without copying them out of the wasm heap first (the backend's
 * own accessor; valid until the next allocation). Any other backend: a copy.
 */
export function heapView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.Tensor): Float32Array };
  return backend.typedArrayFromHeap ? backend.typedArrayFromHeap(t) : t.dataSync() as Float32Array;
}

/** A Dense layer's parts (tfjs-layers keeps them as fields). */
interface DenseParts {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}

/** Dense kernels at least this large go through {@linkcode wideProduct}. */
const WIDE = 1 << 17;

/**
 * x·W for a wide W, as (Wᵀ·xᵀ)ᵀ, with its gradients as dx = (W·dyᵀ)ᵀ and dW = xᵀ·dy. The wasm
 * backend packs a matMul's right operand on every call, and W changes every step: the plain
 * product repacks its 3.2 M weights each time (and its gradient dy·Wᵀ once more); here every
 * right operand is batch-sized, and W is transposed once.
 */
export const wideProduct = tf.customGrad(
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

/**
 * 2×2 max pooling (stride 2, valid) whose gradient shares each window's output gradient
 * equally among the window's maxima, with whole-tensor element-wise ops and resizes: tfjs's
 * MaxPoolGrad kernel takes 3× as long. Where a window has one maximum (almost everywhere) the
 * gradient is tfjs's; where it has several (a window of equal values), tfjs gives it all to
 * one of them and this splits it, an equally valid subgradient.
 */
export const maxPool2x2 = tf.customGrad(
  ((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const y = tf.maxPool(x, 2, 2, "valid");
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [x, y]: tf.Tensor[]) => {
        const [, h, w] = x.shape;
        const up = (t: tf.Tensor) => tf.image.resizeNearestNeighbor(t as tf.Tensor4D, [h, w]);
        const maxima = tf.cast(tf.equal(x, up(y)), "float32") as tf.Tensor4D;
        const count = tf.mul(tf.avgPool(maxima, 2, 2, "valid"), 4);
        return [tf.mul(maxima, up(tf.div(dy, count)))];
      },
    };
  }) as unknown as (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    value: tf.Tensor;
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
  },
) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;

/** A MaxPooling2D layer's settings (tfjs-layers keeps them as fields). */
interface PoolParts {
  poolSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
}

/** Whether `layer` is a 2×2, stride-2, valid max pool over an NHWC input of even size. */
function isPool2x2(layer: tfl.layers.Layer, h: tf.Tensor): boolean {
  if (layer.getClassName() !== "MaxPooling2D" || h.rank !== 4) return false;
  const p = layer as unknown as PoolParts;
  const [, height, width] = h.shape as number[];
  return p.poolSize.every((k) => k === 2) && p.strides.every((k) => k === 2) &&
    p.padding === "valid" && p.dataFormat === "channelsLast" && height % 2 === 0 &&
    width % 2 === 0;
}

/**
 * The network's training-mode forward pass, layer by layer, as the workers compute it: wide
 * Dense layers through {@linkcode wideProduct}, 2×2 max pools through {@linkcode maxPool2x2},
 * every other layer as tfjs-layers applies it (dropout included).
 */
export function forward(model: tfl.Sequential, x: tf.Tensor): tf.Tensor {
  let h = x;
  for (const layer of model.layers) {
    const dense = layer as unknown as DenseParts;
    if (layer.getClassName() === "Dense" && h.rank === 2 && dense.kernel.read().size >= WIDE) {
      let y = wideProduct(h, dense.kernel.read());
      if (dense.bias) y = tf.add(y, dense.bias.read());
      h = dense.activation ? dense.activation.apply(y) : y;
    } else if (isPool2x2(layer, h)) h = maxPool2x2(h as tf.Tensor4D);
    else h = layer.apply(h, { training: true }) as tf.Tensor;
  }
  return h;
}

/** tfjs-layers' epsilon for categorical cross-entropy's clipping. */
const EPSILON = 1e-7;

/**
 * One worker's share of a step: the gradient of `x`'s summed categorical cross-entropy divided
 * by `batch` (the whole batch's size, so that the workers' gradients sum to the batch mean's),
 * written into `out` at each variable's offset. Returns that loss share and how many of `x`'s
 * images the network classifies as `labels` says.
 */
export function sliceGradient(
  model: tfl.Sequential,
  variables: tf.Variable[],
  x: tf.Tensor,
  labels: tf.Tensor1D,
  batch: number,
  out: Float32Array,
  offsets: readonly number[],
): { loss: number; correct: number } {
  return tf.tidy(() => {
    const y = tf.oneHot(labels, 10);
    let probs: tf.Tensor | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const p = forward(model, x);
      probs = tf.keep(p);
      const q = tf.clipByValue(tf.div(p, tf.sum(p, -1, true)), EPSILON, 1 - EPSILON);
      return tf.div(tf.neg(tf.sum(tf.mul(y, tf.log(q)))), batch) as tf.Scalar;
    }, variables);
    const loss = value.dataSync()[0];
    const predicted = tf.argMax(probs!, -1);
    const correct = tf.sum(tf.cast(tf.equal(predicted, labels), "int32")).dataSync()[0];
    tf.dispose(probs!);
    for (let i = 0; i < variables.length; i++) {
      out.set(heapView(grads[variables[i].name]), offsets[i]);
    }
    return { loss, correct };
  });
}

/** The optimizer state one worker steps: the shared weights and (Adam) moments. */
export interface StepState {
  optimizer: "adam" | "sgd";
  learningRate: number;
  /** Adam's step count, from 1 (its bias correction). */
  iteration: number;
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/**
 * Sums `grads` (one region per worker) over [lo, hi) in worker order, in doubles, into `sum`,
 * then applies SGD or Adam to those parameters of `state` in place. Elementwise: the result
 * of an element does not depend on how the range is split among workers.
 */
export function sumAndStep(
  grads: Float32Array[],
  [lo, hi]: readonly [number, number],
  sum: Float64Array,
  state: StepState,
): void {
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
  const { params, learningRate: lr } = state;
  if (state.optimizer === "sgd") {
    for (let i = lo; i < hi; i++) params[i] -= lr * sum[i - lo];
    return;
  }
  const { beta1, beta2, epsilon } = ADAM;
  // Adam with its bias corrections folded into the step and the second moment's scale.
  const step = lr / (1 - beta1 ** state.iteration);
  const scale = 1 / (1 - beta2 ** state.iteration);
  const { m, v } = state;
  for (let i = lo; i < hi; i++) {
    const gi = sum[i - lo];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    params[i] -= step * mi / (Math.sqrt(vi * scale) + epsilon);
  }
}
