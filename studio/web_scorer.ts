/**
 * The browser's one module on onnxruntime-web (infer/providers.ts is the CLI's, and reads
 * files): opens a model the studio serves and scores batches of images with it, honouring the
 * model's input layout and output kind as the CLI's scorer does.
 */

/// <reference lib="dom" />

import type * as Ort from "onnxruntime-web";
import { checkModelIo, LAYOUT_DIMS, type ModelIo } from "../common/model_io.ts";
import { PIXELS } from "../experiments/search/mod.ts";

const CLASSES = 10;

/** A `score(batch) → probabilities` over one session, honouring the model's io. */
export async function openWebScorer(
  model: string,
): Promise<(images: Float32Array, count: number) => Promise<Float32Array>> {
  // Loaded at run time from the server's copy of onnxruntime-web's dist/, not bundled.
  const ortUrl = new URL("/ort/ort.wasm.min.mjs", location.href).href;
  const ort = await import(ortUrl) as typeof Ort;
  ort.env.wasm.wasmPaths = "/ort/";
  // Threads only where the page is cross-origin isolated (the server sends COOP/COEP).
  ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? 0 : 1;
  ort.env.logLevel = "error";
  const response = await fetch(`/models/${model}.onnx`);
  if (!response.ok) {
    throw new Error(`No model "${model}": /models/${model}.onnx is ${response.status}`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const io: ModelIo = checkModelIo(bytes, `${model}.onnx`);
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  const dims = LAYOUT_DIMS[io.layout];
  const runChunk = async (chunk: Float32Array, n: number): Promise<Float32Array> => {
    // A file that fixes its batch size gets exactly that many images (the last chunk padded).
    const m = io.fixedBatch ?? n;
    const fed = new Float32Array(m * PIXELS);
    fed.set(chunk.subarray(0, n * PIXELS));
    mapInput(io, fed, n * PIXELS);
    const tensor = new ort.Tensor("float32", fed, [m, ...dims]);
    try {
      const raw = (await session.run({ [io.input]: tensor }))[io.outputName].data as Float32Array;
      return io.output === "logits" ? softmaxRows(raw, n) : raw.slice(0, n * CLASSES);
    } finally {
      tensor.dispose();
    }
  };
  // The first run sets up the session's buffers (about 0.2 s): done here, not in the search.
  await runChunk(new Float32Array(PIXELS), 1);
  return async (images, count) => {
    const size = io.fixedBatch ?? count;
    if (size >= count) return await runChunk(images, count);
    const out = new Float32Array(count * CLASSES);
    for (let offset = 0; offset < count; offset += size) {
      const n = Math.min(size, count - offset);
      const chunk = images.subarray(offset * PIXELS, (offset + n) * PIXELS);
      out.set(await runChunk(chunk, n), offset * CLASSES);
    }
    return out;
  };
}

/** Pixels in [0, 1] to the model's input scale, in place (identikit's own models: as they are). */
function mapInput(io: ModelIo, x: Float32Array, n: number): void {
  const scale = io.scale;
  if ("mean" in scale) {
    for (let i = 0; i < n; i++) x[i] = (x[i] - scale.mean) / scale.std;
  } else if (scale.min !== 0 || scale.max !== 1) {
    for (let i = 0; i < n; i++) x[i] = scale.min + x[i] * (scale.max - scale.min);
  }
}

/** Row-wise stable softmax (a model that gives logits). */
function softmaxRows(logits: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count * CLASSES);
  for (let r = 0; r < count; r++) {
    const o = r * CLASSES;
    let max = -Infinity, sum = 0;
    for (let k = 0; k < CLASSES; k++) max = Math.max(max, logits[o + k]);
    for (let k = 0; k < CLASSES; k++) sum += out[o + k] = Math.exp(logits[o + k] - max);
    for (let k = 0; k < CLASSES; k++) out[o + k] /= sum;
  }
  return out;
}
