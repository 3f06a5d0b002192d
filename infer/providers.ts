/**
 * The only module that imports onnxruntime: execution providers chosen by name from a frozen
 * table, and batched scoring over one reusable session.
 */

import { UnavailableError, UsageError } from "../common/errors.ts";
import { exists, fileUrl, PROJECT_ROOT } from "../common/files.ts";
import { checkModelIo, LAYOUT_DIMS, type ModelIo, type ModelIoSpec } from "../common/model_io.ts";
import { parseProviderName, type ProviderName, PROVIDERS } from "../common/provider_names.ts";
import {
  checkProbabilities,
  checkProbe,
  inputMapping,
  probeImages,
  softmaxRows,
} from "../common/model_outputs.ts";

export { checkProbabilities, softmaxRows };

/** Scores batches of 28×28 images with one session that is created once and reused. */
export interface Scorer {
  readonly provider: ProviderName;
  /** Largest batch sent to the runtime in one call; larger requests are chunked. */
  readonly maxBatch: number;
  /** Where it runs (the GPU adapter, for WebGPU). */
  readonly device: string;
  /** How images are fed to the model and its outputs read. */
  readonly io: ModelIo;
  /**
   * Class probabilities (`count × 10`) for `count` images given as `count × 784` pixels in
   * [0, 1], row-major, NHWC with one channel.
   */
  score(images: Float32Array, count: number): Promise<Float32Array>;
  /** Releases the session. */
  close(): Promise<void>;
}

/** Options for {@linkcode createScorer}. */
export interface ScorerOptions {
  /** Chunk size for large batches (default 2048). */
  maxBatch?: number;
  /** The model's file, for messages when the model is given as bytes. */
  source?: string;
  /** How an external model takes images and gives classes (absent: identikit's own export). */
  io?: ModelIoSpec;
}

const PIXELS = 784;
const CLASSES = 10;

/** Where onnxruntime-node keeps its native libraries (the CUDA ones only after setup:cuda). */
export const ORT_NODE_BIN_DIR = `${PROJECT_ROOT}/node_modules/onnxruntime-node/bin/napi-v6/${
  Deno.build.os === "windows" ? "win32" : Deno.build.os
}/${Deno.build.arch === "aarch64" ? "arm64" : "x64"}`;
const ORT_WEB_DIST = fileUrl(`${PROJECT_ROOT}/node_modules/onnxruntime-web/dist/`);

interface RawSession {
  run(input: Float32Array, count: number): Promise<Float32Array>;
  release(): Promise<void>;
  device: string;
}

/**
 * Opens `model` (a path or ONNX bytes) on `provider`. A provider that cannot start is an
 * {@linkcode UnavailableError} saying why and how to fix it: never a silent fallback.
 */
export async function createScorer(
  provider: ProviderName,
  model: string | Uint8Array,
  options: ScorerOptions = {},
): Promise<Scorer> {
  const spec = PROVIDERS[provider];
  if (spec === undefined) parseProviderName(provider);
  const maxBatch = options.maxBatch ?? 2048;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(
      `Cannot create a scorer: maxBatch must be a positive integer, received ${maxBatch}`,
    );
  }
  const bytes = typeof model === "string" ? await readModel(model) : model;
  const source = typeof model === "string" ? model : options.source ?? "the model";
  const io = checkModelIo(bytes, source, options.io);
  const session = spec.runtime === "onnxruntime-node"
    ? await openNodeSession(provider, bytes, io)
    : await openWebSession(provider, bytes, io);
  if (options.io) {
    try {
      const run = (x: Float32Array, n: number) =>
        spec.runtime === "onnxruntime-web"
          ? webQueue.run(() => session.run(x, n))
          : session.run(x, n);
      const count = io.fixedBatch ?? 2;
      checkProbe(await run(probeImages(io, count), count), count, io, options.io, source);
    } catch (error) {
      await session.release();
      throw error;
    }
  }
  const serial = spec.runtime === "onnxruntime-web";
  // A file with a fixed batch size gets exactly that many images per call (the last padded).
  const chunkSize = io.fixedBatch ?? maxBatch;
  const mapInput = inputMapping(io.scale);
  return {
    provider,
    maxBatch: chunkSize,
    device: session.device,
    io,
    async score(images: Float32Array, count: number): Promise<Float32Array> {
      if (images.length < count * PIXELS) {
        throw new RangeError(
          `Cannot score: ${count} images need ${count * PIXELS} pixels, received ${images.length}`,
        );
      }
      const out = new Float32Array(count * CLASSES);
      for (let offset = 0; offset < count; offset += chunkSize) {
        const n = Math.min(chunkSize, count - offset);
        let chunk = images.subarray(offset * PIXELS, (offset + n) * PIXELS);
        if (mapInput || io.fixedBatch !== null) {
          const fed = new Float32Array((io.fixedBatch ?? n) * PIXELS);
          fed.set(chunk);
          if (mapInput) mapInput(fed, n * PIXELS);
          chunk = fed;
        }
        const m = io.fixedBatch ?? n;
        // onnxruntime-web keeps one global wasm instance: its runs must not overlap.
        const raw = serial
          ? await webQueue.run(() => session.run(chunk, m))
          : await session.run(chunk, m);
        const probs = io.output === "logits" ? softmaxRows(raw, n) : raw;
        checkProbabilities(
          probs,
          n,
          `${provider} (images ${offset}–${offset + n - 1} of ${count})`,
        );
        out.set(probs.subarray(0, n * CLASSES), offset * CLASSES);
      }
      return out;
    },
    close: () => session.release(),
  };
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot open the model: ${path} does not exist`, {
        hint: "Train and export it first: `deno task train --model cnn`.",
      });
    }
    throw error;
  }
}

async function openNodeSession(
  provider: ProviderName,
  bytes: Uint8Array,
  io: ModelIo,
): Promise<RawSession> {
  const ort = await import("onnxruntime-node");
  const ep = PROVIDERS[provider].executionProvider;
  if (ep === "cuda") {
    const lib = `${ORT_NODE_BIN_DIR}/libonnxruntime_providers_cuda.so`;
    if (!await exists(lib)) {
      throw new UnavailableError(
        `Provider "node-cuda" cannot start: onnxruntime-node's CUDA binaries are not installed (${lib} is missing)`,
        {
          hint:
            "On a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, run `deno task setup:cuda` once; then the CUDA libraries must be on LD_LIBRARY_PATH.",
        },
      );
    }
  }
  let session: import("onnxruntime-node").InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: [ep],
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    });
  } catch (error) {
    throw new UnavailableError(
      `Provider "${provider}" cannot start: ${(error as Error).message}`,
      {
        cause: error,
        hint: ep === "cuda"
          ? "Check that CUDA 12 and cuDNN 9 libraries are installed and on LD_LIBRARY_PATH, and that `nvidia-smi` sees a GPU."
          : "Check that the model is an identikit ONNX export (`deno task export`).",
      },
    );
  }
  return {
    device: ep === "cuda" ? "CUDA device 0" : `CPU (${navigator.hardwareConcurrency} threads)`,
    run: imageRunner(ort.Tensor, session, io),
    release: () => session.release(),
  };
}

async function openWebSession(
  provider: ProviderName,
  bytes: Uint8Array,
  io: ModelIo,
): Promise<RawSession> {
  const ep = PROVIDERS[provider].executionProvider;
  let device = "WebAssembly, 1 thread";
  if (ep === "webgpu") {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    if (gpu === undefined) {
      throw new UnavailableError(
        `Provider "web-webgpu" cannot start: this Deno has no navigator.gpu`,
        {
          hint: "Use Deno 2 or later (WebGPU is built in), or choose another provider.",
        },
      );
    }
    const adapter = await gpu.requestAdapter() as
      | {
        info?: {
          description?: string;
          vendor?: string;
          isFallbackAdapter?: boolean;
        };
      }
      | null;
    if (adapter === null) {
      throw new UnavailableError(
        `Provider "web-webgpu" cannot start: no GPU adapter was found`,
        {
          hint:
            "WebGPU needs a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver; on a headless Linux GPU machine install the Vulkan loader (libvulkan1) and the vendor's ICD.",
        },
      );
    }
    const info = adapter.info ?? {};
    device = `${info.description || info.vendor || "GPU"}${
      info.isFallbackAdapter ? " (software fallback adapter)" : ""
    }`;
  }
  // The WebGPU bundle also carries the wasm backend; one module for both keeps one wasm instance.
  const ort = await import("onnxruntime-web/webgpu");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = ORT_WEB_DIST;
  ort.env.logLevel = "error";
  let session: import("onnxruntime-web").InferenceSession;
  try {
    session = await webQueue.run(() =>
      ort.InferenceSession.create(bytes, {
        executionProviders: [ep],
        graphOptimizationLevel: "all",
      })
    );
  } catch (error) {
    throw new UnavailableError(
      `Provider "${provider}" cannot start: ${(error as Error).message}`,
      {
        cause: error,
        hint: "Run `deno install` so that onnxruntime-web's wasm files are in node_modules/.",
      },
    );
  }
  return {
    device,
    run: imageRunner(ort.Tensor, session, io),
    release: () => webQueue.run(() => session.release()),
  };
}

/** The parts of onnxruntime's Tensor and InferenceSession we use (both runtimes share them). */
interface OrtTensor {
  dispose(): void;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, { data: unknown }>>;
}

/**
 * Runs `count` images through the session's image input and class output. With one channel the
 * three layouts share the pixels' memory order: only the tensor's dimensions differ.
 */
function imageRunner(
  Tensor: new (type: "float32", data: Float32Array, dims: number[]) => OrtTensor,
  session: OrtSession,
  io: ModelIo,
): RawSession["run"] {
  const input = io.input, output = io.outputName;
  const dims = LAYOUT_DIMS[io.layout];
  return async (images, count) => {
    const tensor = new Tensor("float32", images, [count, ...dims]);
    try {
      const result = await session.run({ [input]: tensor });
      return result[output].data as Float32Array;
    } finally {
      tensor.dispose();
    }
  };
}

/** Runs tasks one at a time, in order (onnxruntime-web sessions cannot run concurrently). */
class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => {});
    return result;
  }
}

const webQueue = new SerialQueue();

/** A float32 input of a {@linkcode GraphSession}, or any output it gives. */
export interface GraphTensor {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
}

/**
 * A session on onnxruntime-node's CPU provider for a graph that is no classifier: a generator's
 * decoder, the pixel judges' nearest-neighbour graph.
 */
export interface GraphSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The first input's shape as the file declares it. */
  readonly inputShape: readonly unknown[] | undefined;
  /** Runs the graph on float32 inputs by name; outputs by name. */
  run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>): Promise<
    Record<string, GraphTensor>
  >;
  release(): Promise<void>;
}

/** Opens an ONNX graph (bytes) on onnxruntime-node's CPU provider. */
export async function openGraphSession(bytes: Uint8Array): Promise<GraphSession> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  const meta = session.inputMetadata?.[0] as { shape?: unknown[] } | undefined;
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputShape: meta?.shape,
    async run(feeds) {
      const tensors = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [
          name,
          new ort.Tensor("float32", t.data, t.dims),
        ]),
      );
      try {
        const result = await session.run(tensors);
        return Object.fromEntries(
          Object.entries(result).map(([name, t]) => [
            name,
            { data: t.data as Float32Array | BigInt64Array, dims: t.dims },
          ]),
        );
      } finally {
        for (const t of Object.values(tensors)) t.dispose();
      }
    },
    release: () => session.release(),
  };
}
