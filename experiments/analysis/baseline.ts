/**
 * The seed's baseline: how sure is the network on random noise vs on real digits? The
 * distribution of the maximum softmax over 10,000 uniform-noise images and the MNIST test set.
 */

import { createPrng } from "../../common/prng.ts";
import { accuracy, argmaxRows } from "../../common/probabilities.ts";
import type { ScoreFn } from "../search/search.ts";
import { quantile } from "./statistics.ts";

/** Statistics of the maximum softmax over a set of images. */
export interface MaxSoftmaxStats {
  images: number;
  mean: number;
  median: number;
  p10: number;
  p90: number;
  /** Fractions of images whose maximum softmax exceeds 0.6 / 0.9 / 0.99. */
  above06: number;
  above09: number;
  above099: number;
  /** 20 bins of width 0.05 over [0, 1]: fraction of images per bin. */
  histogram: number[];
  /** How often each digit is the argmax (what the network "sees" in noise). */
  argmaxCounts: number[];
}

/** `baseline.json`. */
export interface Baseline {
  noise: MaxSoftmaxStats;
  mnist: MaxSoftmaxStats;
  /** Accuracy of the ONNX model on the test images (argmax = label). */
  mnistAccuracy: number;
  noiseSeed: number;
  /** sha256 of the ONNX model these numbers describe (a baseline is reused only for it). */
  modelSha256?: string;
}

/** Summarizes `count` rows of 10 probabilities. */
export function maxSoftmaxStats(probabilities: Float32Array, count: number): MaxSoftmaxStats {
  const maxima: number[] = [];
  const histogram = new Array(20).fill(0), argmaxCounts = new Array(10).fill(0);
  const predicted = argmaxRows(probabilities.subarray(0, count * 10));
  for (let i = 0; i < count; i++) {
    const best = predicted[i];
    const m = probabilities[i * 10 + best];
    maxima.push(m);
    argmaxCounts[best]++;
    histogram[Math.min(19, Math.floor(m * 20))]++;
  }
  const frac = (t: number) => maxima.filter((m) => m > t).length / count;
  return {
    images: count,
    mean: maxima.reduce((a, b) => a + b, 0) / count,
    median: quantile(maxima, 0.5),
    p10: quantile(maxima, 0.1),
    p90: quantile(maxima, 0.9),
    above06: frac(0.6),
    above09: frac(0.9),
    above099: frac(0.99),
    histogram: histogram.map((n) => n / count),
    argmaxCounts,
  };
}

/** Uniform noise on the 8-bit grid (each pixel k/255, k uniform in 0–255), seeded. */
export function noiseImages(count: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  return Float32Array.from({ length: count * 784 }, () => prng.nextInt(256) / 255);
}

/** Scores noise and the test set and summarizes both. */
export async function computeBaseline(
  score: ScoreFn,
  test: { images: Float32Array; labels: Uint8Array; count: number },
  options: { noiseImages?: number; seed?: number } = {},
): Promise<Baseline> {
  const n = options.noiseImages ?? 10000, seed = options.seed ?? 20150601;
  const noise = await score(noiseImages(n, seed), n);
  const mnist = await score(test.images, test.count);
  return {
    noise: maxSoftmaxStats(noise, n),
    mnist: maxSoftmaxStats(mnist, test.count),
    mnistAccuracy: accuracy(mnist, test.labels.subarray(0, test.count)),
    noiseSeed: seed,
  };
}
