/**
 * The judges that look at pixels: the nearest of the 60,000 MNIST training digits (its label,
 * and how near it is), the most correlated digit mean, and plausibility (as near to a training
 * digit as 95 % of real test digits are, and that digit carries the target's label). None of
 * them takes part in a search; they only say what an image resembles.
 */

import onnxProto from "onnx-proto";
import { exists, sha256Hex, writeJsonAtomic } from "../../common/files.ts";
import { loadMnist, type MnistSet } from "../../common/mnist.ts";
import { openGraphSession } from "../../infer/providers.ts";
import { correlation } from "../analysis/likeness.ts";
import { quantile } from "../analysis/statistics.ts";

const { onnx } = onnxProto;
const PIXELS = 784;
/** Queries per onnxruntime call (the distance matrix of a call is chunk × 60,000 floats). */
const CHUNK = 256;

/** The distances of real digits to their nearest training digit: the yardstick of plausibility. */
export interface PixelReference {
  /** sha256 of the training and test images the numbers were computed from. */
  data: string;
  /** Nearest-training-digit distance of every test digit (pixels in [0, 1]), in test order. */
  testDistances: number[];
  median: number;
  p95: number;
}

/** The nearest training digit of each query: its index, label and Euclidean distance. */
export interface Neighbour {
  index: number;
  label: number;
  distance: number;
}

/** The pixel judges, ready: MNIST loaded, the reference computed (or read from its cache). */
export interface PixelJudges {
  reference: PixelReference;
  /** The nearest training digit of each of `count` images (`count × 784` floats in [0, 1]). */
  nearest(images: Float32Array, count: number): Promise<Neighbour[]>;
  /** The digit whose mean test image correlates best with `image`, and that correlation. */
  nearestMean(image: Float32Array): { label: number; correlation: number };
  close(): Promise<void>;
}

/**
 * A graph for onnxruntime: for queries X [N, 784] and the training images' transpose T [784, M]
 * with their squared norms S [M], the least S − 2·X·T per row and where it is. Adding |x|²
 * gives the squared distance to the nearest training image.
 */
function nearestGraph(): Uint8Array {
  const f = onnx.TensorProto.DataType.FLOAT;
  const info = (name: string, dims: (number | string)[], type = f) => ({
    name,
    type: {
      tensorType: {
        elemType: type,
        shape: {
          dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })),
        },
      },
    },
  });
  const node = (
    opType: string,
    input: string[],
    output: string[],
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ) => ({
    opType,
    input,
    output,
    name: output[0],
    attribute,
  });
  const graph = onnx.GraphProto.create({
    name: "nearest",
    node: [
      node("MatMul", ["x", "t"], ["xt"]),
      node("Mul", ["xt", "minus_two"], ["m2xt"]),
      node("Add", ["m2xt", "s"], ["d"]),
      node("ReduceMin", ["d", "axes"], ["min"], [{
        name: "keepdims",
        type: onnx.AttributeProto.AttributeType.INT,
        i: 0,
      }]),
      node("ArgMin", ["d"], ["argmin"], [
        { name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 },
        { name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 },
      ]),
    ],
    initializer: [
      { name: "minus_two", dims: [], dataType: f, floatData: [-2] },
      { name: "axes", dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] },
    ],
    input: [info("x", ["N", PIXELS]), info("t", [PIXELS, "M"]), info("s", ["M"])],
    output: [info("min", ["N"]), info("argmin", ["N"], onnx.TensorProto.DataType.INT64)],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({
    irVersion: 10,
    opsetImport: [{ domain: "", version: 21 }],
    producerName: "identikit",
    graph,
  })).finish();
}

/** Per-digit mean images of `set`. */
function classMeans(set: MnistSet): Float32Array[] {
  const means = Array.from({ length: 10 }, () => new Float32Array(PIXELS));
  const counts = new Array(10).fill(0);
  for (let i = 0; i < set.count; i++) {
    const m = means[set.labels[i]];
    counts[set.labels[i]]++;
    for (let j = 0; j < PIXELS; j++) m[j] += set.images[i * PIXELS + j];
  }
  means.forEach((m, d) => m.forEach((v, j) => (m[j] = v / counts[d])));
  return means;
}

/**
 * Loads MNIST and opens the nearest-neighbour graph on onnxruntime's CPU provider. The
 * reference (every test digit's distance to its nearest training digit: about 10 s on 2
 * cores) is cached in `cachePath` and recomputed when the data differ.
 */
export async function createPixelJudges(
  options: { cachePath?: string; log?: (line: string) => void } = {},
): Promise<PixelJudges> {
  const [train, test] = await Promise.all([loadMnist("train"), loadMnist("test")]);
  const m = train.count;
  const transposed = new Float32Array(PIXELS * m);
  const norms = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < PIXELS; j++) {
      const v = train.images[i * PIXELS + j];
      transposed[j * m + i] = v;
      s += v * v;
    }
    norms[i] = s;
  }
  const session = await openGraphSession(nearestGraph());
  const t = { data: transposed, dims: [PIXELS, m] };
  const s = { data: norms, dims: [m] };
  const nearest = async (images: Float32Array, count: number): Promise<Neighbour[]> => {
    const out: Neighbour[] = [];
    for (let offset = 0; offset < count; offset += CHUNK) {
      const n = Math.min(CHUNK, count - offset);
      const x = images.subarray(offset * PIXELS, (offset + n) * PIXELS);
      const result = await session.run({ x: { data: x, dims: [n, PIXELS] }, t, s });
      const min = result.min.data as Float32Array;
      const argmin = result.argmin.data as BigInt64Array;
      for (let i = 0; i < n; i++) {
        let xx = 0;
        for (let j = 0; j < PIXELS; j++) xx += x[i * PIXELS + j] ** 2;
        const index = Number(argmin[i]);
        out.push({
          index,
          label: train.labels[index],
          distance: Math.sqrt(Math.max(0, min[i] + xx)),
        });
      }
    }
    return out;
  };
  try {
    const reference = await loadReference(train, test, nearest, options);
    const means = classMeans(test);
    return {
      reference,
      nearest,
      nearestMean(image) {
        let label = 0, best = -Infinity;
        means.forEach((mean, d) => {
          const r = correlation(image, mean);
          if (r > best) [best, label] = [r, d];
        });
        return { label, correlation: best };
      },
      close: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}

/** Bump when the reference's computation changes: cached references of other versions are redone. */
const REFERENCE_VERSION = 1;

/**
 * The reference from its cache when it was made from these very images by this computation,
 * else measured (and cached where writing is allowed; elsewhere it is measured each time).
 */
async function loadReference(
  train: MnistSet,
  test: MnistSet,
  nearest: PixelJudges["nearest"],
  options: { cachePath?: string; log?: (line: string) => void },
): Promise<PixelReference> {
  const bytes = (set: MnistSet) =>
    new Uint8Array(set.images.buffer, set.images.byteOffset, set.images.byteLength);
  const data = `v${REFERENCE_VERSION}:${await sha256Hex(bytes(train))}:${await sha256Hex(
    bytes(test),
  )}`;
  if (options.cachePath && await exists(options.cachePath)) {
    try {
      const cached = JSON.parse(await Deno.readTextFile(options.cachePath)) as PixelReference;
      if (cached.data === data && cached.testDistances?.length === test.count) return cached;
    } catch { /* measured again below */ }
  }
  options.log?.(
    `Measuring how near the ${
      test.count.toLocaleString("en-US")
    } test digits are to their nearest training digit (once; about 10 s)…`,
  );
  const testDistances = (await nearest(test.images, test.count)).map((n) =>
    Math.round(n.distance * 1e4) / 1e4
  );
  const reference = {
    data,
    testDistances,
    median: quantile(testDistances, 0.5),
    p95: quantile(testDistances, 0.95),
  };
  if (options.cachePath) {
    await writeJsonAtomic(options.cachePath, reference).catch((error) => {
      if (
        !(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)
      ) {
        throw error;
      }
      options.log?.(
        `Cannot cache it in ${options.cachePath} (no write access): measured each time`,
      );
    });
  }
  return reference;
}
