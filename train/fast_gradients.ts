/**
 * Gradients for Conv2D and BatchMatMul expressed through fast forward kernels, so that the
 * tfjs wasm backend can train the CNN. Stock wasm has no Conv2DBackpropFilter kernel at all,
 * and its Conv2DBackpropInput and transposed-A matMul are an order of magnitude slower than
 * a forward conv2d / plain matMul doing the same arithmetic (transposed-B products too).
 */

import * as tf from "@tensorflow/tfjs-core";

type Padding = { top: number; bottom: number; left: number; right: number };

/** The Conv2D configurations the fast path covers: NHWC, stride 1, dilation 1, same/valid. */
export function isFastConvCase(attrs: Record<string, unknown>): boolean {
  const ones = (v: unknown) => v === 1 || (Array.isArray(v) && v.every((x) => x === 1));
  return (attrs.dataFormat ?? "NHWC") === "NHWC" && ones(attrs.strides ?? 1) &&
    ones(attrs.dilations ?? 1) &&
    (attrs.pad === "same" || attrs.pad === "valid");
}

function padding(pad: "same" | "valid", kh: number, kw: number): Padding {
  if (pad === "valid") return { top: 0, bottom: 0, left: 0, right: 0 };
  // tfjs/TensorFlow "same" at stride 1: total k-1, the extra cell (even k) at the end.
  const top = Math.floor((kh - 1) / 2), left = Math.floor((kw - 1) / 2);
  return { top, bottom: kh - 1 - top, left, right: kw - 1 - left };
}

/**
 * dL/dW of a stride-1 conv2d as one forward conv2d: treat input channels as the batch and
 * the batch as the channels, and convolve the padded input with the output gradient.
 */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  { filterShape, pad }: { filterShape: [number, number, number, number]; pad: "same" | "valid" },
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filterShape;
    const p = padding(pad, kh, kw);
    const xPadded = tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [
      0,
      0,
    ]]);
    const xT = tf.transpose(xPadded, [3, 1, 2, 0]); // [Ci, Hp, Wp, N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co] used as the filter
    const dw = tf.conv2d(xT, dyT, 1, "valid"); // [Ci, kh, kw, Co]
    return tf.transpose(dw, [1, 2, 0, 3]);
  });
}

/**
 * dL/dx of a stride-1 conv2d as one forward conv2d ("full" correlation): pad the output
 * gradient by k-1-pad and convolve with the spatially flipped, in/out-swapped filter.
 */
export function conv2dInputGradient(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  { pad }: { pad: "same" | "valid" },
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const p = padding(pad, kh, kw);
    const dyPadded = tf.pad(dy, [
      [0, 0],
      [kh - 1 - p.top, kh - 1 - p.bottom],
      [kw - 1 - p.left, kw - 1 - p.right],
      [0, 0],
    ]);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kh, kw, Co, Ci]
    return tf.conv2d(dyPadded, flipped as tf.Tensor4D, 1, "valid");
  });
}

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  perm[perm.length - 1] = perm.length - 2;
  perm[perm.length - 2] = perm.length - 1;
  return tf.transpose(x, perm);
}

const mm = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y);

/** The transposition flags of the product being differentiated. */
export interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * dL/da of `matMul(a, b, transposeA, transposeB)` with plain products only: wasm's
 * transposed-operand matMul is ~5× slower than an explicit transpose plus a plain product.
 */
export function matMulGradientA(
  b: tf.Tensor,
  dy: tf.Tensor,
  { transposeA, transposeB }: MatMulAttrs,
): tf.Tensor {
  return tf.tidy(() => {
    if (!transposeA) return transposeB ? mm(dy, b) : mm(dy, swapLast(b));
    return transposeB ? mm(swapLast(b), swapLast(dy)) : mm(b, swapLast(dy));
  });
}

/** dL/db of `matMul(a, b, transposeA, transposeB)` with plain products only. */
export function matMulGradientB(
  a: tf.Tensor,
  dy: tf.Tensor,
  { transposeA, transposeB }: MatMulAttrs,
): tf.Tensor {
  return tf.tidy(() => {
    if (!transposeA) {
      return transposeB ? mm(swapLast(dy), a) : mm(swapLast(a), dy);
    }
    return transposeB ? mm(swapLast(dy), swapLast(a)) : mm(a, dy);
  });
}

const conv2dGradConfig: tf.GradConfig = {
  kernelName: "Conv2D",
  inputsToSave: ["x", "filter"],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const g = dy as tf.Tensor4D;
    if (!isFastConvCase(attrs as Record<string, unknown>)) {
      return stock.get("Conv2D")!.gradFunc(dy, saved, attrs);
    }
    const pad = (attrs as { pad: "same" | "valid" }).pad;
    return {
      x: () => conv2dInputGradient(g, filter, { pad }),
      filter: () => conv2dFilterGradient(x, g, { filterShape: filter.shape, pad }),
    };
  },
};

const batchMatMulGradConfig: tf.GradConfig = {
  kernelName: "BatchMatMul",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as {
      transposeA: boolean;
      transposeB: boolean;
    };
    return {
      a: () => matMulGradientA(b, dy as tf.Tensor, { transposeA, transposeB }),
      b: () => matMulGradientB(a, dy as tf.Tensor, { transposeA, transposeB }),
    };
  },
};

const stock = new Map<string, tf.GradConfig>();

/**
 * Replaces tfjs's Conv2D and BatchMatMul gradients with the fast ones (for every backend).
 * Returns a function that puts the stock gradients back. Idempotent.
 */
export function installFastGradients(): () => void {
  for (const config of [conv2dGradConfig, batchMatMulGradConfig]) {
    if (!stock.has(config.kernelName)) {
      const original = tf.getGradient(config.kernelName);
      if (original === undefined) {
        throw new Error(
          `tfjs has no gradient for ${config.kernelName} to replace`,
        );
      }
      stock.set(config.kernelName, original);
    }
    tf.registerGradient(config);
  }
  return restoreStockGradients;
}

/** Puts tfjs's own Conv2D and BatchMatMul gradients back. */
export function restoreStockGradients(): void {
  for (const original of stock.values()) tf.registerGradient(original);
}
