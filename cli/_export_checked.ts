/**
 * Export with a parity gate: the ONNX bytes are scored by onnxruntime on the MNIST test set and
 * compared with the tfjs model's own probabilities before anything on disk is replaced.
 */

import type * as tfl from "@tensorflow/tfjs-layers";
import { exportOnnx, type ExportOptions } from "../train/export_onnx.ts";
import { predictProbabilities } from "../train/train.ts";
import type { MnistSet } from "../common/mnist.ts";
import { accuracy, argmaxRows } from "../common/probabilities.ts";
import { createScorer } from "../infer/providers.ts";
import { writeFileAtomic } from "../common/files.ts";

/** The largest |p_onnx − p_tfjs| an export may show on any image and class. */
export const PARITY_MAX_DIFF = 1e-5;

/** How an ONNX file's probabilities compare with the tfjs model's on the same images. */
export interface ParityReport {
  images: number;
  /** Images whose argmax differs, not counting near-ties (top two within 2 × maxDiffAllowed). */
  argmaxMismatches: number;
  /** Images whose argmax differs where the tfjs top two are within 2 × maxDiffAllowed. */
  nearTies: number;
  maxDiff: number;
  maxDiffAllowed: number;
  onnxAccuracy: number;
  ok: boolean;
}

/**
 * Compares two sets of probability rows (10 per image). An argmax difference counts against
 * parity unless the reference's two best classes are so close (≤ 2 × `maxDiffAllowed`) that
 * differences within the tolerance can swap them; every difference counts against `maxDiff`.
 */
export function compareParity(
  onnx: ArrayLike<number>,
  reference: ArrayLike<number>,
  labels: ArrayLike<number>,
  maxDiffAllowed = PARITY_MAX_DIFF,
): ParityReport {
  if (onnx.length !== reference.length || onnx.length !== labels.length * 10) {
    throw new RangeError(
      `Cannot compare: ${onnx.length} and ${reference.length} probabilities for ${labels.length} images`,
    );
  }
  const a = argmaxRows(onnx);
  const b = argmaxRows(reference);
  let argmaxMismatches = 0;
  let nearTies = 0;
  let maxDiff = 0;
  let nan = false;
  for (let i = 0; i < labels.length; i++) {
    for (let k = 0; k < 10; k++) {
      const d = Math.abs(onnx[i * 10 + k] - reference[i * 10 + k]);
      if (Number.isNaN(d)) nan = true; // NaN must fail: no comparison with NaN is true
      else if (d > maxDiff) maxDiff = d;
    }
    if (a[i] === b[i]) continue;
    const gap = Math.abs(reference[i * 10 + a[i]] - reference[i * 10 + b[i]]);
    if (gap <= 2 * maxDiffAllowed) nearTies++;
    else argmaxMismatches++;
  }
  return {
    images: labels.length,
    argmaxMismatches,
    nearTies,
    maxDiff: nan ? NaN : maxDiff,
    maxDiffAllowed,
    onnxAccuracy: accuracy(onnx, labels),
    ok: !nan && argmaxMismatches === 0 && maxDiff <= maxDiffAllowed,
  };
}

/** One line for people: what was compared and what was found. */
export function describeParity(report: ParityReport): string {
  const ties = report.nearTies ? ` (${report.nearTies} near-ties swapped within tolerance)` : "";
  return `Parity on the ${report.images} test images: argmax differs on ${report.argmaxMismatches}${ties}, ` +
    `max |p_onnx − p_tfjs| = ${report.maxDiff.toExponential(2)} (allowed ${
      report.maxDiffAllowed.toExponential(0)
    }); ONNX accuracy ${(report.onnxAccuracy * 100).toFixed(2)} %`;
}

/**
 * Exports `network` to ONNX in memory, checks parity on `test` with onnxruntime (node-cpu) and
 * only when it holds writes the file atomically. On failure nothing is written and the report
 * says why; the caller decides the exit code.
 */
export async function exportChecked(
  network: tfl.LayersModel,
  path: string,
  options: ExportOptions,
  test: MnistSet,
  maxDiffAllowed = PARITY_MAX_DIFF,
): Promise<{ bytes: Uint8Array; parity: ParityReport }> {
  const bytes = exportOnnx(network, options);
  const reference = predictProbabilities(network, test);
  const scorer = await createScorer("node-cpu", bytes);
  let probs: Float32Array;
  try {
    probs = await scorer.score(test.images, test.count);
  } finally {
    await scorer.close();
  }
  const parity = compareParity(probs, reference, test.labels, maxDiffAllowed);
  if (parity.ok) await writeFileAtomic(path, bytes);
  return { bytes, parity };
}
