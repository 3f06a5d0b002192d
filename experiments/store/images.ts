/** PNG images of search results: one 28×28 8-bit grey image per run, and the identikit grid. */

import { decode, encode } from "fast-png";
import { FileFormatError } from "../../common/errors.ts";

/** Encodes `levels` (width × height bytes, 0 = black) as an 8-bit greyscale PNG. */
export function encodeGreyPng(
  levels: Uint8Array,
  options: { width?: number; height?: number; text?: Record<string, string> } = {},
): Uint8Array {
  const { width = 28, height = 28, text } = options;
  if (levels.length !== width * height) {
    throw new RangeError(
      `Cannot encode PNG: ${width}×${height} needs ${
        width * height
      } pixels, received ${levels.length}`,
    );
  }
  return encode({ width, height, data: levels, depth: 8, channels: 1, ...(text ? { text } : {}) });
}

/** Decodes an 8-bit greyscale PNG back to its levels; refuses anything else. */
export function decodeGreyPng(bytes: Uint8Array, file = "image"): {
  width: number;
  height: number;
  levels: Uint8Array;
} {
  let png;
  try {
    png = decode(bytes);
  } catch (error) {
    throw new FileFormatError(`Cannot read ${file}: not a PNG (${(error as Error).message})`);
  }
  if (png.depth !== 8 || png.channels !== 1) {
    throw new FileFormatError(
      `Cannot read ${file}: expected 8-bit greyscale, found ${png.depth}-bit with ${png.channels} channel(s)`,
    );
  }
  return { width: png.width, height: png.height, levels: Uint8Array.from(png.data) };
}

/** Layout of the identikit board. */
export interface GridOptions {
  /** Each 28×28 image is drawn at this many screen pixels per image pixel. */
  scale?: number;
  /** Width of the separator lines, in screen pixels. */
  gap?: number;
  /** Grey level of the separators (a mid grey, visible against black and white). */
  separator?: number;
}

/**
 * Draws the identikit board: one row per entry of `rows` (top to bottom), each image upscaled
 * by nearest neighbour with thin separators; missing cells (ragged rows) stay separator grey.
 */
export function renderGrid(rows: Uint8Array[][], options: GridOptions = {}): {
  width: number;
  height: number;
  levels: Uint8Array;
} {
  const scale = options.scale ?? 3, gap = options.gap ?? 2, sep = options.separator ?? 96;
  const cell = 28 * scale;
  const columns = Math.max(1, ...rows.map((r) => r.length));
  const width = columns * cell + (columns + 1) * gap;
  const height = rows.length * cell + (rows.length + 1) * gap;
  const levels = new Uint8Array(width * height).fill(sep);
  rows.forEach((row, r) => {
    row.forEach((image, c) => {
      const x0 = gap + c * (cell + gap), y0 = gap + r * (cell + gap);
      for (let y = 0; y < cell; y++) {
        const src = Math.floor(y / scale) * 28;
        const dst = (y0 + y) * width + x0;
        for (let x = 0; x < cell; x++) levels[dst + x] = image[src + Math.floor(x / scale)];
      }
    });
  });
  return { width, height, levels };
}
