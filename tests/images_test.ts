/** Tests of the PNG images and the identikit grid. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import { decodeGreyPng, encodeGreyPng, renderGrid } from "../experiments/store/images.ts";

Deno.test("a PNG decodes to exactly the levels that were encoded", () => {
  const prng = createPrng(1);
  const levels = Uint8Array.from({ length: 784 }, () => prng.nextInt(256));
  const png = encodeGreyPng(levels);
  assert.deepStrictEqual(
    [...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""),
    "PNG",
  );
  assert.deepStrictEqual(decodeGreyPng(png), { width: 28, height: 28, levels });
});

Deno.test("decodeGreyPng() refuses non-PNG bytes with the file name", () => {
  assert.throws(() => decodeGreyPng(new Uint8Array([1, 2, 3]), "images/x.png"), {
    name: "FileFormatError",
    message: /^Cannot read images\/x.png: not a PNG/,
  });
});

Deno.test("renderGrid() lays out one row per digit, upscaled, with separators", () => {
  const white = new Uint8Array(784).fill(255), black = new Uint8Array(784);
  const grid = renderGrid([[white, black], [black]], { scale: 2, gap: 1, separator: 100 });
  assert.deepStrictEqual([grid.width, grid.height], [2 * 56 + 3, 2 * 56 + 3]);
  const at = (x: number, y: number) => grid.levels[y * grid.width + x];
  assert.strictEqual(at(0, 0), 100); // separator
  assert.strictEqual(at(1, 1), 255); // first image, top-left
  assert.strictEqual(at(56, 56), 255); // first image, bottom-right
  assert.strictEqual(at(58, 1), 0); // second image
  assert.strictEqual(at(58, 58), 100); // missing cell in the ragged second row
});
