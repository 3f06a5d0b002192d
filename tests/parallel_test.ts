/**
 * Data-parallel training (train/parallel.ts): the workers' summed gradients and optimizer step
 * agree with tfjs's own `trainOnBatch`, the same worker count gives the same bytes, and a run
 * stopped mid-epoch resumes to the same sha256.
 */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { exists } from "../common/files.ts";
import { useBackend } from "../train/backend.ts";
import { installFastGradients } from "../train/fast_gradients.ts";
import { loadMnist } from "../common/mnist.ts";
import { buildModel, compileModel } from "../train/models.ts";
import { TRAINING_DEFAULTS } from "../common/model_names.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { startParallelTrainer } from "../train/parallel.ts";
import { splitEvenly } from "../train/workers.ts";
import { maxPool2x2, sumAndStep } from "../train/worker_step.ts";
import { trainAndSave } from "../train/pipeline.ts";
import { assertClose, scratch } from "./_helpers.ts";
import { runCli } from "./_cli.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("splitEvenly() gives contiguous parts, the first ones one longer", () => {
  assert.deepStrictEqual(splitEvenly(10, 3), [[0, 4], [4, 7], [7, 10]]);
  assert.deepStrictEqual(splitEvenly(64, 2), [[0, 32], [32, 64]]);
  assert.deepStrictEqual(splitEvenly(1, 2), [[0, 1], [1, 1]]);
});

/** The weights of `model`, flattened. */
function flat(model: tfl.LayersModel): Float32Array {
  const parts = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

for (const optimizer of ["sgd", "adam"] as const) {
  Deno.test({
    ...opts,
    name:
      `2 workers take the same ${optimizer} steps as tfjs's trainOnBatch on the whole batch (MLP, 1e-5)`,
    fn: async () => {
      await useBackend("wasm");
      installFastGradients();
      // The MLP has no dropout (so both sides see the same network), and its 784×256 first
      // layer is wide enough for the workers' transposed product.
      const learningRate = optimizer === "sgd" ? 0.1 : 1e-3;
      const make = () => {
        const model = buildModel("mlp", 7);
        model.compile({
          optimizer: optimizer === "sgd" ? tf.train.sgd(learningRate) : tf.train.adam(learningRate),
          loss: "categoricalCrossentropy",
          metrics: ["accuracy"],
        });
        return model;
      };
      const reference = make(), parallel = make();
      const trainer = await startParallelTrainer(parallel, {
        model: "mlp",
        seed: 7,
        workers: 2,
        batchSize: 64,
        optimizer,
        learningRate,
      });
      try {
        const data = await loadMnist("train", { limit: 64 * 3 });
        // Three steps, the last an odd batch of 63 (the workers get 32 and 31).
        for (const [step, count] of [[0, 64], [1, 64], [2, 63]]) {
          const images = data.images.slice(step * 64 * 784, (step * 64 + count) * 784);
          const labels = Int32Array.from(data.labels.subarray(step * 64, step * 64 + count));
          const [loss, accuracy] = await trainer.trainOnBatch(images, labels, count, step);
          const x = tf.tensor4d(images, [count, 28, 28, 1]);
          const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
          const [refLoss, refAccuracy] = await reference.trainOnBatch(x, y) as number[];
          tf.dispose([x, y]);
          assert.ok(Math.abs(loss - refLoss) <= 1e-5, `step ${step}: loss ${loss} vs ${refLoss}`);
          assert.ok(Math.abs(accuracy - refAccuracy) <= 1e-6, `step ${step}: accuracy`);
        }
        await trainer.syncTo(parallel);
        const before = flat(make());
        const after = flat(reference);
        assert.ok(
          after.some((w, i) => Math.abs(w - before[i]) > 1e-4),
          "the reference trained (its weights moved)",
        );
        assertClose(flat(parallel), after, 1e-5, `${optimizer} weights after 3 steps`);
      } finally {
        trainer.close();
        reference.dispose();
        parallel.dispose();
      }
    },
  });
}

Deno.test({
  ...opts,
  name: "the same seed and worker count train the same bytes; the loss falls (CNN, 2 workers)",
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const data = await loadMnist("train", { limit: 64 * 4 });
    const run = async () => {
      const model = buildModel("cnn", 2);
      model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
      const trainer = await startParallelTrainer(model, {
        model: "cnn",
        seed: 2,
        workers: 2,
        batchSize: 64,
        optimizer: "adam",
        learningRate: 1e-3,
      });
      const losses: number[] = [];
      try {
        for (let step = 0; step < 4; step++) {
          const images = data.images.subarray(step * 64 * 784, (step + 1) * 64 * 784);
          const labels = Int32Array.from(data.labels.subarray(step * 64, (step + 1) * 64));
          losses.push((await trainer.trainOnBatch(images, labels, 64, step))[0]);
        }
        await trainer.syncTo(model);
        // Syncing into the model (each checkpoint does) holds no tensors beyond the first time.
        const held = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) await trainer.syncTo(model);
        assert.strictEqual(tf.memory().numTensors, held, "syncTo leaks no tensors");
        return { weights: flat(model), losses };
      } finally {
        trainer.close();
        model.dispose();
      }
    };
    const a = await run(), b = await run();
    assert.deepStrictEqual(a.losses, b.losses);
    assert.ok(a.weights.every((w, i) => Object.is(w, b.weights[i])), "bit-identical weights");
    assert.ok(a.losses[3] < a.losses[0], `loss ${a.losses[0]} → ${a.losses[3]}`);
  },
});

Deno.test({
  ...opts,
  name:
    "a CNN on 3 workers stopped mid-epoch resumes on the checkpoint's count to the same sha256; another count does not",
  fn: async () => {
    const dir = await scratch("parallel-ckpt");
    // 3 workers: not the default (2 on every machine), so the resume below, which names no
    // count, must take the checkpoint's.
    const training = { epochs: 2, batchSize: 64, seed: 3, limit: 384, workers: 3 };
    const whole = await trainAndSave("cnn", { ...training, modelsDir: `${dir}/whole` });
    assert.strictEqual(whole.workers, 3);
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(
      trainAndSave("cnn", {
        ...training,
        modelsDir: `${dir}/stopped`,
        signal: controller.signal,
        onProgress: () => {
          if (++batches === 9) controller.abort(); // 3 batches into epoch 2
        },
      }),
      { name: "AbortError" },
    );
    assert.ok(await exists(`${dir}/stopped/cnn.ckpt`));
    await Deno.copyFile(`${dir}/stopped/cnn.ckpt`, `${dir}/copy.ckpt`);
    // Without a worker count, the run continues on the checkpoint's.
    const { workers: _, ...unstated } = training;
    const lines: string[] = [];
    const resumed = await trainAndSave("cnn", {
      ...unstated,
      modelsDir: `${dir}/stopped`,
      log: (line) => lines.push(line),
    });
    assert.ok(lines.some((l) => l.includes("(tfjs wasm, 3 workers)")), lines.join("\n"));
    assert.ok(
      lines.some((l) => /Resuming from .*cnn\.ckpt: epoch 2, 576 samples done/.test(l)),
      lines.join("\n"),
    );
    assert.deepStrictEqual(resumed.sha256, whole.sha256);
    assert.deepStrictEqual(resumed.history, whole.history);

    // Under another worker count the same checkpoint would end with neither run's bytes.
    const network = buildModel("cnn", 3);
    compileModel(network, TRAINING_DEFAULTS.cnn);
    const key = { model: "cnn", seed: 3, epochs: 2, batchSize: 64, trainSamples: 384 };
    const other = await loadCheckpoint(`${dir}/copy.ckpt`, { ...key, workers: 1 }, network);
    network.dispose();
    assert.deepStrictEqual(other, {
      position: null,
      reason: `${dir}/copy.ckpt belongs to another training (workers 3 here 1)`,
    });
  },
});

Deno.test({
  ...opts,
  name:
    "`deno task train --workers` refuses 0, more than a batch and a VAE on workers; bench:train a folder it may not write (exit 2)",
  fn: async () => {
    const zero = await runCli("cli/train.ts", ["--model", "cnn", "--workers", "0"]);
    assert.strictEqual(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /--workers/);
    const vae = await runCli("cli/train.ts", ["--model", "vae", "--workers", "2"]);
    assert.strictEqual(vae.code, 2, vae.stderr);
    assert.match(vae.stderr, /--workers 2: the VAE trains on the main thread only/);
    const many = await runCli("cli/train.ts", ["--model", "cnn", "--workers", "65"]);
    assert.strictEqual(many.code, 2, many.stderr);
    assert.match(many.stderr, /--workers/);
    // bench:train checks where it may write before measuring anything.
    const bench = await runCli("cli/bench_train.ts", ["--out", "/nonexistent/bench"]);
    assert.strictEqual(bench.code, 2, bench.stderr);
    assert.match(bench.stderr, /--out \/nonexistent\/bench: this task may not write there/);
  },
});

Deno.test({
  ...opts,
  name:
    "the workers' 2×2 max pool has the cpu backend's gradient where each window has one maximum, and splits it among equal maxima",
  fn: async () => {
    await import("@tensorflow/tfjs-layers"); // registers tfjs's gradients
    const gradient = (pool: (x: tf.Tensor4D) => tf.Tensor, x: tf.Tensor4D, dy: tf.Tensor) =>
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(pool(x as tf.Tensor4D), dy)))(x);
    const shape: [number, number, number, number] = [2, 28, 28, 32];
    const pooled: [number, number, number, number] = [2, 14, 14, 32];
    // The reference: tfjs's MaxPoolGrad on the cpu backend. (tfjs-backend-wasm 4.22's own
    // MaxPoolGrad is wrong on about 1.5 % of the elements of this shape: its gradient does not
    // even sum to the output gradient's sum, so it is no reference.)
    await useBackend("cpu");
    const x = tf.randomNormal(shape, 0, 1, "float32", 11) as tf.Tensor4D;
    const dy = tf.randomNormal(pooled, 0, 1, "float32", 12);
    const expected = gradient((x) => tf.maxPool(x, 2, 2, "valid"), x, dy).dataSync();
    const dySum = tf.sum(dy).dataSync()[0];
    await useBackend("wasm");
    const ours = gradient(maxPool2x2, x, dy);
    assertClose(ours.dataSync(), expected, 0, "gradient, no ties");
    assert.ok(Math.abs(tf.sum(ours).dataSync()[0] - dySum) < 1e-3, "it sums to dy's sum");
    assertClose(
      maxPool2x2(x).dataSync(),
      tf.maxPool(x, 2, 2, "valid").dataSync(),
      0,
      "forward",
    );
    // Windows: four equal values, a single maximum twice, three equal maxima.
    const tied = tf.tensor4d([1, 1, 0, 2, 1, 1, 3, 0, 5, 4, 7, 7, 4, 4, 7, 6], [1, 4, 4, 1]);
    const g = gradient(maxPool2x2, tied, tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]));
    const third = Math.fround(4 / 3);
    assert.deepStrictEqual(
      Array.from(g.dataSync()),
      [0.25, 0.25, 0, 0, 0.25, 0.25, 2, 0, 3, 0, third, third, 0, 0, third, 0],
    );
    tf.dispose([x, dy, ours, tied, g]);
  },
});

Deno.test("sumAndStep() gives every element the same value however the range is split", () => {
  const n = 1000;
  const regions = [0, 1, 2].map((w) => Float32Array.from({ length: n }, (_, i) => Math.sin(i + w)));
  for (const optimizer of ["adam", "sgd"] as const) {
    const run = (parts: [number, number][]) => {
      const state = {
        optimizer,
        learningRate: 0.01,
        iteration: 0,
        params: Float32Array.from({ length: n }, (_, i) => i / n),
        m: new Float32Array(n),
        v: new Float32Array(n),
      };
      for (let iteration = 1; iteration <= 3; iteration++) {
        state.iteration = iteration;
        for (const part of parts) {
          sumAndStep(regions, part, new Float64Array(part[1] - part[0]), state);
        }
      }
      return state.params;
    };
    const whole = run([[0, n]]);
    assert.deepStrictEqual(run([[0, 333], [333, 1000]]), whole, optimizer);
    assert.ok(whole.some((p, i) => p !== i / n), `${optimizer} moved the parameters`);
  }
});
