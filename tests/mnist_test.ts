/** Tests of the MNIST IDX reader on fixtures and on the genuine files. */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { TMP } from "./_helpers.ts";
import { FileFormatError, UsageError } from "../common/errors.ts";
import { loadMnist, parseIdxImages, parseIdxLabels } from "../common/mnist.ts";
import { scratch } from "./_helpers.ts";

const DATA = fileURLToPath(new URL("./testdata/", import.meta.url));

Deno.test("parseIdxImages() reads a tiny IDX3 fixture", async () => {
  const file = `${DATA}tiny-images-idx3-ubyte`;
  const images = parseIdxImages(await Deno.readFile(file), file);
  assert.deepStrictEqual(
    { count: images.count, rows: images.rows, cols: images.cols },
    { count: 3, rows: 2, cols: 2 },
  );
  assert.deepStrictEqual([...images.pixels], [0, 255, 128, 64, 1, 2, 3, 4, 255, 255, 0, 0]);
});

Deno.test("loadMnist() reads a fixture folder as floats in [0, 1] with labels", async () => {
  const dir = await scratch("mnist-fixture");
  await Deno.copyFile(`${DATA}tiny-images-idx3-ubyte`, `${dir}/t10k-images-idx3-ubyte`);
  await Deno.copyFile(`${DATA}tiny-labels-idx1-ubyte`, `${dir}/t10k-labels-idx1-ubyte`);
  const set = await loadMnist("test", { dir, limit: 2 });
  assert.strictEqual(set.count, 2);
  assert.deepStrictEqual([...set.labels], [7, 0]);
  assert.deepStrictEqual(
    [...set.images],
    [0, 1, 128 / 255, 64 / 255, 1 / 255, 2 / 255, 3 / 255, 4 / 255].map(Math.fround),
  );
});

Deno.test("parseIdxImages() rejects a bad magic number with the file name", () => {
  const file = `${DATA}bad-magic-images-idx3-ubyte`;
  assert.throws(() => parseIdxImages(Deno.readFileSync(file), file), (error: unknown) => {
    if (!(error instanceof FileFormatError)) return false;
    assert.strictEqual(
      error.message,
      `Cannot read MNIST images from ${file}: magic number is 0x00000804, expected 0x00000803 (IDX3 unsigned bytes)`,
    );
    assert.match(error.hint ?? "", /deno install/);
    return true;
  });
});

Deno.test("parseIdxImages() rejects a truncated file, saying how long it should be", () => {
  const file = `${DATA}truncated-images-idx3-ubyte`;
  assert.throws(() => parseIdxImages(Deno.readFileSync(file), file), {
    name: "FileFormatError",
    message:
      `Cannot read MNIST images from ${file}: header promises 3 images of 2×2 (28 bytes), file has 26 bytes`,
  });
});

Deno.test("parseIdxLabels() rejects labels outside 0–9", () => {
  const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 3, 12]);
  assert.throws(() => parseIdxLabels(bytes, "x"), {
    name: "FileFormatError",
    message: "Cannot read MNIST labels from x: label 1 is 12, expected 0–9",
  });
});

Deno.test("loadMnist() explains a missing file", async () => {
  await assert.rejects(loadMnist("train", { dir: `${TMP}/nonexistent` }), (error: unknown) => {
    if (!(error instanceof UsageError)) return false;
    assert.strictEqual(
      error.message,
      `Cannot read MNIST: ${TMP}/nonexistent/train-images-idx3-ubyte does not exist`,
    );
    return true;
  });
});

Deno.test("loadMnist() reads the genuine test set: 10,000 images and the real label counts", async () => {
  const test = await loadMnist("test");
  assert.strictEqual(test.count, 10000);
  const counts = new Array(10).fill(0);
  for (const label of test.labels) counts[label]++;
  assert.deepStrictEqual(counts, [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  const train = await loadMnist("train", { limit: 100 });
  assert.strictEqual(train.count, 100);
  assert.strictEqual(train.labels[0], 5); // The famous first training digit.
});
