/**
 * Where a training step's time goes: every tfjs kernel the fast path runs for one batch,
 * grouped by name, with calls and milliseconds per step (tf.profile times each kernel).
 */

import * as tf from "@tensorflow/tfjs-core";
import { buildModel, compileModel } from "./models.ts";
import { TRAINING_DEFAULTS } from "./model_names.ts";
import type { MnistSet } from "./mnist.ts";

/** One kernel's share of a training step. */
export interface KernelCost {
  kernel: string;
  /** Calls per step. */
  calls: number;
  /** Milliseconds per step, summed over its calls. */
  ms: number;
  /** The output shape of its most expensive call, e.g. "64×1024". */
  shape: string;
}

/**
 * Trains the CNN for `steps` batches of `batch` images from `data` (after one untimed warm-up
 * batch) under tf.profile, on the backend and gradients in use; kernels most costly first.
 */
export async function profileTrainingKernels(
  data: MnistSet,
  { batch, steps }: { batch: number; steps: number },
): Promise<KernelCost[]> {
  const model = buildModel("cnn", 1);
  compileModel(model, TRAINING_DEFAULTS.cnn);
  const size = data.rows * data.cols;
  const batchOf = (i: number) => {
    const offset = (i * batch) % Math.max(1, data.count - batch + 1);
    const x = tf.tensor4d(
      data.images.subarray(offset * size, (offset + batch) * size),
      [batch, data.rows, data.cols, 1],
    );
    const y = tf.tidy(() =>
      tf.oneHot(tf.tensor1d(data.labels.subarray(offset, offset + batch), "int32"), 10)
    );
    return { x, y };
  };
  const costs = new Map<string, { calls: number; ms: number; top: number; shape: string }>();
  try {
    for (let i = 0; i <= steps; i++) {
      const { x, y } = batchOf(i);
      const info = await tf.profile(async () => {
        await model.trainOnBatch(x, y);
      });
      tf.dispose([x, y]);
      if (i === 0) continue; // warm-up
      for (const k of info.kernels) {
        const ms = Number(await k.kernelTimeMs) || 0;
        const c = costs.get(k.name) ?? { calls: 0, ms: 0, top: -1, shape: "" };
        c.calls++;
        c.ms += ms;
        if (ms > c.top) {
          c.top = ms;
          c.shape = (k.outputShapes[0] ?? []).join("×");
        }
        costs.set(k.name, c);
      }
    }
  } finally {
    model.dispose();
  }
  return [...costs].map(([kernel, c]) => ({
    kernel,
    calls: c.calls / steps,
    ms: c.ms / steps,
    shape: c.shape,
  })).sort((a, b) => b.ms - a.ms || a.kernel.localeCompare(b.kernel));
}
