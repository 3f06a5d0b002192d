/**
 * Where a training step's time goes: every tfjs kernel the fast path runs for one batch,
 * grouped by name, with calls and milliseconds per step (tf.profile times each kernel), on the
 * main thread (tfjs's trainOnBatch and Adam) or as a data-parallel worker computes it (its
 * forward pass and gradients, then the JavaScript optimizer step over all parameters).
 */

import * as tf from "@tensorflow/tfjs-core";
import { buildModel, compileModel } from "./models.ts";
import { TRAINING_DEFAULTS } from "../common/model_names.ts";
import type { MnistSet } from "../common/mnist.ts";
import { sliceGradient, sumAndStep } from "./worker_step.ts";

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
  { batch, steps, path = "main" }: { batch: number; steps: number; path?: "main" | "worker" },
): Promise<KernelCost[]> {
  const model = buildModel("cnn", 1);
  compileModel(model, TRAINING_DEFAULTS.cnn);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const offsets = [0];
  for (const v of variables) offsets.push(offsets[offsets.length - 1] + v.size);
  const total = offsets[variables.length];
  const shared = {
    optimizer: "adam" as const,
    learningRate: TRAINING_DEFAULTS.cnn.learningRate,
    iteration: 0,
    params: new Float32Array(total),
    m: new Float32Array(total),
    v: new Float32Array(total),
  };
  const gradient = new Float32Array(total), sum = new Float64Array(total);
  const optimizerMs: number[] = [];
  const size = data.rows * data.cols;
  const batchOf = (i: number) => {
    const offset = (i * batch) % Math.max(1, data.count - batch + 1);
    const x = tf.tensor4d(
      data.images.subarray(offset * size, (offset + batch) * size),
      [batch, data.rows, data.cols, 1],
    );
    const labels = tf.tensor1d(data.labels.subarray(offset, offset + batch), "int32");
    const y = tf.oneHot(labels, 10);
    return { x, y, labels };
  };
  const costs = new Map<string, { calls: number; ms: number; top: number; shape: string }>();
  try {
    for (let i = 0; i <= steps; i++) {
      const { x, y, labels } = batchOf(i);
      const info = await tf.profile(async () => {
        if (path === "main") await model.trainOnBatch(x, y);
        // A single worker's step: its gradient, then (below) one optimizer step over every
        // parameter (N workers split it).
        else sliceGradient(model, variables, x, labels, batch, gradient, offsets);
      });
      tf.dispose([x, y, labels]);
      if (path === "worker") {
        shared.iteration = i + 1;
        const t0 = performance.now();
        sumAndStep([gradient], [0, total], sum, shared);
        if (i > 0) optimizerMs.push(performance.now() - t0);
      }
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
  if (optimizerMs.length) {
    const ms = optimizerMs.reduce((a, b) => a + b, 0);
    costs.set("Adam (JavaScript)", {
      calls: optimizerMs.length,
      ms,
      top: 0,
      shape: String(total),
    });
  }
  return [...costs].map(([kernel, c]) => ({
    kernel,
    calls: c.calls / steps,
    ms: c.ms / steps,
    shape: c.shape,
  })).sort((a, b) => b.ms - a.ms || a.kernel.localeCompare(b.kernel));
}
