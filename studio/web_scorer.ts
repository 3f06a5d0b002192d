/**
 * The browser's one module on onnxruntime-web (infer/providers.ts is the CLI's, and reads
 * files): opens the models the studio serves, or a file dropped on the page, and scores batches
 * of images with them, honouring each model's input layout and output kind as the CLI's scorer
 * does; opens decoders for the latent search. WebGPU where the browser has it, else wasm (several
 * threads where the page is cross-origin isolated).
 */

/// <reference lib="dom" />

import type * as Ort from "onnxruntime-web";
import {
  checkModelIo,
  LATENT_NAME,
  LAYOUT_DIMS,
  type ModelIo,
  type ModelIoSpec,
  PIXELS_NAME,
} from "../common/model_io.ts";
import {
  checkProbabilities,
  checkProbe,
  inputMapping,
  probeImages,
  softmaxRows,
} from "../common/model_outputs.ts";
import { PIXELS, PRIMARY_MODEL, type ScoreFn, type Scoring } from "../experiments/search/mod.ts";

const CLASSES = 10;

/** Which onnxruntime-web backend the page asks for. */
export type WebProvider = "auto" | "wasm" | "webgpu";

const ortModules = new Map<
  WebProvider,
  Promise<{ ort: typeof Ort; provider: "wasm" | "webgpu" }>
>();

/** Reads a `provider` value (the live URL's): auto, wasm or webgpu. */
export function parseWebProvider(text: string | null): WebProvider {
  if (text === null || text === "") return "auto";
  if (text === "auto" || text === "wasm" || text === "webgpu") return text;
  throw new RangeError(`provider must be auto, wasm or webgpu, received "${text}"`);
}

/** Whether this browser offers a WebGPU adapter. */
async function hasWebGpu(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/**
 * Loads onnxruntime-web once per page, from the served copy of its dist/ (not bundled): the
 * WebGPU build when asked for or (auto) when the browser has an adapter, else the wasm build.
 */
export function loadOrt(provider: WebProvider = "auto"): Promise<{
  ort: typeof Ort;
  provider: "wasm" | "webgpu";
}> {
  return opened(ortModules, provider, async () => {
    const gpu = provider === "webgpu" || (provider === "auto" && await hasWebGpu());
    const file = gpu ? "ort.webgpu.min.mjs" : "ort.wasm.min.mjs";
    const ort = await import(new URL(`ort/${file}`, document.baseURI).href) as typeof Ort;
    ort.env.wasm.wasmPaths = new URL("ort/", document.baseURI).href;
    // Threads only where the page is cross-origin isolated (the studio sends COOP/COEP).
    ort.env.wasm.numThreads = globalThis.crossOriginIsolated ? 0 : 1;
    ort.env.logLevel = "error";
    return { ort, provider: gpu ? "webgpu" as const : "wasm" as const };
  });
}

/** A model file: by name from the served models/, or bytes dropped on the page with their io. */
export type ModelSource = string | { name: string; bytes: Uint8Array; spec?: ModelIoSpec };

/** Fetches `models/<name>.onnx`, with an error that names what is missing. */
async function fetchModel(name: string): Promise<Uint8Array> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new RangeError(`model must be a model's name in models/, received "${name}"`);
  }
  const response = await fetch(`models/${name}.onnx`);
  if (!response.ok) {
    throw new Error(`No model "${name}": /models/${name}.onnx is ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A `score(batch) → probabilities` over one session. The file gets the CLI's load-time checks
 * (`checkModelIo`: input shape, layout, output kind) before onnxruntime sees it.
 */
export function openWebScorer(
  source: ModelSource,
  provider: WebProvider = "auto",
): Promise<ScoreFn> {
  // One session per file and backend for the page's life: every run reuses it.
  const key = typeof source === "string" ? `${provider}:${source}` : source;
  return opened(scorers, key, () => openScorer(source, provider));
}

/** What `cache` holds under `key`, opened once; a failed opening is forgotten (tried again). */
function opened<K, T>(cache: Map<K, Promise<T>>, key: K, open: () => Promise<T>): Promise<T> {
  let promise = cache.get(key);
  if (!promise) {
    promise = open();
    cache.set(key, promise);
    promise.catch(() => cache.delete(key));
  }
  return promise;
}

/** The sessions opened so far, by backend and name (or by a dropped file's object). */
const scorers = new Map<string | object, Promise<ScoreFn>>();

async function openScorer(source: ModelSource, provider: WebProvider): Promise<ScoreFn> {
  const { ort, provider: chosen } = await loadOrt(provider);
  const name = typeof source === "string" ? source : source.name;
  const bytes = typeof source === "string" ? await fetchModel(source) : source.bytes;
  const io: ModelIo = checkModelIo(
    bytes,
    `${name}${name.endsWith(".onnx") ? "" : ".onnx"}`,
    typeof source === "string" ? undefined : source.spec ?? {},
  );
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: chosen === "webgpu" ? ["webgpu", "wasm"] : ["wasm"],
      graphOptimizationLevel: "all",
    });
  } catch (error) {
    throw new Error(
      `Cannot open ${name}: onnxruntime-web refused it (${(error as Error).message})`,
    );
  }
  const dims = LAYOUT_DIMS[io.layout];
  const mapInput = inputMapping(io.scale);
  /** The model's raw outputs for `n` images already on its scale (a fixed batch padded). */
  const runRaw = async (fed: Float32Array, n: number): Promise<Float32Array> => {
    const m = io.fixedBatch ?? n;
    const tensor = new ort.Tensor("float32", fed, [m, ...dims]);
    try {
      return (await session.run({ [io.input]: tensor }))[io.outputName].data as Float32Array;
    } finally {
      tensor.dispose();
    }
  };
  if (typeof source !== "string") {
    // A file of one's own is probed as the CLI probes it: ten numbers per image, and outputs
    // that already are probabilities read as such.
    const count = io.fixedBatch ?? 2;
    checkProbe(await runRaw(probeImages(io, count), count), count, io, source.spec ?? {}, name);
  }
  const runChunk = async (chunk: Float32Array, n: number): Promise<Float32Array> => {
    // A file that fixes its batch size gets exactly that many images (the last chunk padded).
    const fed = new Float32Array((io.fixedBatch ?? n) * PIXELS);
    fed.set(chunk.subarray(0, n * PIXELS));
    mapInput?.(fed, n * PIXELS);
    const raw = await runRaw(fed, n);
    const probabilities = io.output === "logits" ? softmaxRows(raw, n) : raw.slice(0, n * CLASSES);
    checkProbabilities(probabilities, n, name);
    return probabilities.subarray(0, n * CLASSES);
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

/** A decoder (latent → 784 pixels) from models/, as infer/decoder.ts opens it for the CLI. */
function openWebDecoder(
  name: string,
  provider: WebProvider = "auto",
): Promise<(latents: Float32Array, count: number) => Promise<Float32Array>> {
  return opened(decoders, `${provider}:${name}`, () => openDecoder(name, provider));
}

const decoders = new Map<string, ReturnType<typeof openDecoder>>();

async function openDecoder(
  name: string,
  provider: WebProvider,
): Promise<(latents: Float32Array, count: number) => Promise<Float32Array>> {
  const { ort } = await loadOrt(provider);
  const session = await ort.InferenceSession.create(await fetchModel(name), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  });
  if (!session.inputNames.includes(LATENT_NAME) || !session.outputNames.includes(PIXELS_NAME)) {
    throw new Error(
      `${name}.onnx is not an identikit decoder: it needs an input "${LATENT_NAME}" and an output "${PIXELS_NAME}"`,
    );
  }
  return async (latents, count) => {
    const dim = latents.length / count;
    const tensor = new ort.Tensor("float32", latents.slice(0, count * dim), [count, dim]);
    try {
      return (await session.run({ [LATENT_NAME]: tensor }))[PIXELS_NAME].data as Float32Array;
    } finally {
      tensor.dispose();
    }
  };
}

/**
 * The search's scoring in the page: the primary model (the config's, or a dropped file), the
 * other models its objective names and the decoders its strategy names, each opened once.
 */
export async function openWebScoring(
  primary: ModelSource,
  extra: { models?: string[]; decoders?: string[]; provider?: WebProvider } = {},
): Promise<Scoring> {
  const primaryName = typeof primary === "string" ? primary : primary.name;
  const byName = new Map<string, ScoreFn>([[
    primaryName,
    await openWebScorer(primary, extra.provider),
  ]]);
  for (const m of extra.models ?? []) {
    if (m !== PRIMARY_MODEL && !byName.has(m)) {
      byName.set(m, await openWebScorer(m, extra.provider));
    }
  }
  const renderers = new Map<string, Awaited<ReturnType<typeof openWebDecoder>>>();
  for (const d of extra.decoders ?? []) renderers.set(d, await openWebDecoder(d, extra.provider));
  return {
    score(model, images, count) {
      const s = byName.get(model === PRIMARY_MODEL ? primaryName : model);
      if (!s) throw new Error(`Cannot score with model "${model}": it is not loaded`);
      return s(images, count);
    },
    decode(decoder, latents, count) {
      const d = renderers.get(decoder);
      if (!d) throw new Error(`Cannot decode with "${decoder}": it is not loaded`);
      return d(latents, count);
    },
  };
}
