/** Tests of the models and the training loop on the wasm backend. */

import assert from "node:assert/strict";
import { TMP } from "./_helpers.ts";
import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../train/backend.ts";
import { installFastGradients } from "../train/fast_gradients.ts";
import { loadMnist } from "../common/mnist.ts";
import { buildModel, compileModel, countParameters } from "../train/models.ts";
import { MODEL_NAMES, parseModelName, TRAINING_DEFAULTS } from "../common/model_names.ts";
import { evaluateAccuracy, predictProbabilities, trainModel } from "../train/train.ts";
import { loadTfjsModel, saveTfjsModel } from "../train/artifacts.ts";
import { scratch } from "./_helpers.ts";
import { trainAndSave } from "../train/pipeline.ts";

Deno.test("buildModel() builds the tutorial CNN layer by layer, with its parameter count", async () => {
  await useBackend("wasm");
  const cnn = buildModel("cnn", 1);
  assert.deepStrictEqual(
    cnn.layers.map((l) => `${l.getClassName()}:${JSON.stringify(l.outputShape)}`),
    [
      "Conv2D:[null,28,28,32]",
      "MaxPooling2D:[null,14,14,32]",
      "Conv2D:[null,14,14,64]",
      "MaxPooling2D:[null,7,7,64]",
      "Flatten:[null,3136]",
      "Dense:[null,1024]",
      "Dropout:[null,1024]",
      "Dense:[null,10]",
    ],
  );
  // 5·5·1·32+32 + 5·5·32·64+64 + 3136·1024+1024 + 1024·10+10
  assert.strictEqual(countParameters(cnn), 832 + 51264 + 3212288 + 10250);
  assert.strictEqual(countParameters(buildModel("softmax", 1)), 7850);
  cnn.dispose();
});

Deno.test("parseModelName() rejects an unknown model, listing the valid ones", () => {
  assert.throws(() => parseModelName("resnet"), {
    name: "UsageError",
    message: `Unknown model "resnet": valid models are ${
      MODEL_NAMES.map((m) => `"${m}"`).join(", ")
    }`,
  });
});

Deno.test({
  name:
    "a seeded CNN run on 4,096 MNIST images reaches ≥ 0.88 test accuracy (wasm, fast gradients)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const train = await loadMnist("train", { limit: 4096 });
    const test = await loadMnist("test", { limit: 1000 });
    const model = buildModel("cnn", 1);
    compileModel(model, TRAINING_DEFAULTS.cnn);
    const stats = await trainModel(model, train, { epochs: 1, batchSize: 64, seed: 1 });
    const accuracy = evaluateAccuracy(model, test);
    console.log(
      `  CNN after 4,096 images: test accuracy ${accuracy} (${
        stats.samplesPerSecond.toFixed(0)
      } samples/s)`,
    );
    assert.ok(accuracy >= 0.88, `accuracy ${accuracy}`);
    assert.strictEqual(stats.samples, 4096);
    model.dispose();
  },
});

Deno.test({
  name: "training is deterministic: the same seed gives bit-identical softmax weights",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const train = await loadMnist("train", { limit: 3000 });
    const test = await loadMnist("test", { limit: 2000 });
    const run = async (seed: number) => {
      const model = buildModel("softmax", seed);
      compileModel(model, TRAINING_DEFAULTS.softmax);
      await trainModel(model, train, { epochs: 1, batchSize: 100, seed });
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      const accuracy = evaluateAccuracy(model, test);
      model.dispose();
      return { weights, accuracy };
    };
    const a = await run(3), b = await run(3), c = await run(4);
    assert.deepStrictEqual(a.weights, b.weights);
    assert.notDeepStrictEqual(a.weights, c.weights);
    assert.ok(a.accuracy >= 0.8, `softmax accuracy ${a.accuracy} after 3,000 images`);
  },
});

Deno.test({
  name: "a training step does not leak tensors (tf.memory().numTensors stays flat)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const train = await loadMnist("train", { limit: 128 });
    const model = buildModel("cnn", 2);
    compileModel(model, TRAINING_DEFAULTS.cnn);
    // The first step creates the optimizer's slots; count from the second on.
    await trainModel(model, train, { epochs: 1, batchSize: 64, seed: 2 });
    const before = tf.memory().numTensors;
    await trainModel(model, train, { epochs: 1, batchSize: 64, seed: 2 });
    assert.strictEqual(tf.memory().numTensors, before);
    model.dispose();
  },
});

Deno.test({
  name: "saveTfjsModel() and loadTfjsModel() round-trip to identical predictions",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    const dir = await scratch("tfjs-roundtrip");
    const model = buildModel("cnn", 9);
    const test = await loadMnist("test", { limit: 16 });
    const before = predictProbabilities(model, test);
    await saveTfjsModel(model, `${dir}/cnn.tfjs`);
    const loaded = await loadTfjsModel(`${dir}/cnn.tfjs`);
    assert.deepStrictEqual(predictProbabilities(loaded, test), before);
    model.dispose();
    loaded.dispose();
  },
});

Deno.test("loadTfjsModel() explains a missing model", async () => {
  await assert.rejects(loadTfjsModel(`${TMP}/nonexistent/cnn.tfjs`), {
    name: "UsageError",
    message: /Cannot load the tfjs model in .*\/nonexistent\/cnn.tfjs/,
  });
});

Deno.test({
  name:
    "trainAndSave() with a limit trains a held-out recipe on that many images, after the held-out ones",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await scratch("train-limit");
    // softmax-tutorial holds out the first 5,000 images and counts 1,000 steps of 100.
    const training = { epochs: 2, steps: 4, batchSize: 100, seed: 1, modelsDir: dir };
    const meta = await trainAndSave("softmax-tutorial", { ...training, limit: 250 });
    assert.strictEqual(meta.trainSamples, 250);
    assert.strictEqual(meta.heldOut, 5000);
    // 4 steps of 100 on 250 images (100, 100, 50 per epoch) start 2 epochs, not 400 on 1 image.
    assert.strictEqual(meta.epochs, 2);
    assert.strictEqual(meta.history.length, 2);
    // At most the 55,000 images left after the held-out ones.
    await assert.rejects(trainAndSave("softmax-tutorial", { ...training, limit: 55001 }), {
      name: "RangeError",
      message:
        "Cannot train softmax-tutorial: limit must be an integer from 1 to 55000 (the training images left after its recipe's held-out ones), received 55001",
    });
  },
});
