/** Saves and loads tfjs models as `model.json` + `weights.bin` (tfjs has no file:// handler here). */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { FileFormatError, UsageError } from "../common/errors.ts";
import { writeFileAtomic } from "../common/files.ts";

/** Writes `model` to `dir/model.json` and `dir/weights.bin` (the standard tfjs layout). */
export async function saveTfjsModel(
  model: tfl.LayersModel,
  dir: string,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData instanceof ArrayBuffer
      ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(
        await new Blob(artifacts.weightData as ArrayBuffer[]).arrayBuffer(),
      );
    await writeFileAtomic(`${dir}/weights.bin`, weights);
    const json = {
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: null,
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{
        paths: ["weights.bin"],
        weights: artifacts.weightSpecs,
      }],
    };
    await writeFileAtomic(`${dir}/model.json`, JSON.stringify(json));
    return {
      modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
    };
  }));
}

/** Loads a model written by {@linkcode saveTfjsModel}. */
export async function loadTfjsModel(dir: string): Promise<tfl.LayersModel> {
  let text: string, weights: Uint8Array;
  try {
    text = await Deno.readTextFile(`${dir}/model.json`);
    weights = await Deno.readFile(`${dir}/weights.bin`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(
        `Cannot load the tfjs model in ${dir}: ${error.message}`,
        {
          hint: "Train it first: `deno task train --model <name>`.",
        },
      );
    }
    throw error;
  }
  let json: {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(`Cannot load ${dir}/model.json: not JSON`, {
      cause: error,
      hint: "Re-run `deno task train` to write it again.",
    });
  }
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  return await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weights.slice().buffer,
  }));
}
