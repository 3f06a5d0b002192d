/** Scores images with the trained tfjs model on the wasm backend (the baseline ONNX is compared to). */

import { loadTfjsModel } from "./artifacts.ts";
import { useBackend } from "./backend.ts";
import { predictProbabilities } from "./train.ts";

/** A scorer over `models/<model>.tfjs/` predicting with tfjs (wasm, XNNPACK). */
export async function createTfjsScorer(dir: string): Promise<{
  score(images: Float32Array, count: number): Promise<Float32Array>;
  close(): Promise<void>;
  device: string;
}> {
  await useBackend("wasm");
  const model = await loadTfjsModel(dir);
  return {
    device: "tfjs wasm backend (XNNPACK, 1 thread)",
    score: (images, count) => Promise.resolve(predictProbabilities(model, { images, count })),
    close: () => {
      model.dispose();
      return Promise.resolve();
    },
  };
}
