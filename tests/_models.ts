/**
 * Tiny trained models for tests, made once per test process: a softmax regression and a CNN
 * trained briefly on a few hundred real MNIST images, exported to tests/tmp/models/.
 */

import { useBackend } from "../train/backend.ts";
import { installFastGradients } from "../train/fast_gradients.ts";
import { loadMnist } from "../common/mnist.ts";
import { buildModel, compileModel } from "../train/models.ts";
import { type ModelName, TRAINING_DEFAULTS } from "../common/model_names.ts";
import { trainModel } from "../train/train.ts";
import { buildVae, trainVae } from "../train/vae.ts";
import { saveTfjsModel } from "../train/artifacts.ts";
import { exportOnnxFile } from "../train/export_onnx.ts";
import { sha256Hex } from "../common/files.ts";
import { TMP } from "./_helpers.ts";

/** Where the tiny models live; the layout matches models/ (`<name>.onnx`, `.tfjs/`, `.json`). */
export const TEST_MODELS_DIR = `${TMP}/models`;

const made = new Map<ModelName, Promise<void>>();

/** Trains and exports a tiny `name` model once; later calls reuse it. */
export function tinyModel(name: ModelName): Promise<void> {
  if (!made.has(name)) made.set(name, makeTinyModel(name));
  return made.get(name)!;
}

async function makeTinyModel(name: ModelName): Promise<void> {
  await useBackend("wasm");
  installFastGradients();
  if (TRAINING_DEFAULTS[name].architecture === "vae") return await makeTinyVae(name);
  const train = await loadMnist("train", { limit: name === "cnn" ? 512 : 2000 });
  const model = buildModel(name, 5);
  compileModel(model, TRAINING_DEFAULTS[name]);
  await trainModel(model, train, { epochs: 1, batchSize: 64, seed: 5 });
  await Deno.mkdir(TEST_MODELS_DIR, { recursive: true });
  await saveTfjsModel(model, `${TEST_MODELS_DIR}/${name}.tfjs`);
  const onnx = await exportOnnxFile(model, `${TEST_MODELS_DIR}/${name}.onnx`, {
    modelName: name,
    metadata: { testAccuracy: "0", seed: "5" },
  });
  await Deno.writeTextFile(
    `${TEST_MODELS_DIR}/${name}.json`,
    JSON.stringify({
      model: name,
      testAccuracy: 0,
      seed: 5,
      sha256: { onnx: await sha256Hex(onnx) },
    }),
  );
  model.dispose();
}

/** A VAE trained for 4 epochs on 2,000 digits: blurry, but its decoder draws most digits. */
async function makeTinyVae(name: ModelName): Promise<void> {
  const train = await loadMnist("train", { limit: 2000 });
  const vae = buildVae(5);
  await trainVae(vae, train, { epochs: 4, batchSize: 50, learningRate: 3e-3, seed: 5 });
  await Deno.mkdir(TEST_MODELS_DIR, { recursive: true });
  const onnx = await exportOnnxFile(vae.decoder, `${TEST_MODELS_DIR}/${name}.onnx`, {
    modelName: name,
  });
  await Deno.writeTextFile(
    `${TEST_MODELS_DIR}/${name}.json`,
    JSON.stringify({
      model: name,
      latentDim: vae.latentDim,
      sha256: { onnx: await sha256Hex(onnx) },
    }),
  );
  vae.encoder.dispose();
  vae.decoder.dispose();
}
