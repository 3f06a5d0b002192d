/**
 * The studio server's nearest-digit worker: indexes MNIST's 60,000 training digits once and
 * answers `{ id, levels }` with `{ id, index, label, distance }`, off the server's thread, so
 * that a sweep's tens of seconds of nearest digits never hold up its pages and images.
 */

/// <reference lib="deno.worker" />

import {
  DEFAULT_MNIST_DIR,
  MNIST_SPLITS,
  parseIdxImages,
  parseIdxLabels,
} from "../common/mnist.ts";
import { indexImages } from "../experiments/analysis/nearest.ts";

const { images: imageFile, labels: labelFile } = MNIST_SPLITS.train;
const path = (f: string) => `${DEFAULT_MNIST_DIR}/${f}`;
const set = parseIdxImages(await Deno.readFile(path(imageFile)), path(imageFile));
const labels = parseIdxLabels(await Deno.readFile(path(labelFile)), path(labelFile));
const index = indexImages(set.pixels, set.count);

self.onmessage = (event: MessageEvent<{ id: number; levels: Uint8Array }>) => {
  const { id, levels } = event.data;
  const { index: n, distance } = index.nearest(levels);
  const pixels = set.pixels.slice(n * 784, (n + 1) * 784);
  self.postMessage({ id, index: n, label: labels[n], distance, pixels });
};
self.postMessage({ ready: true });
