/**
 * What a classifier's outputs must be, and how pixels reach its input: the checks and maps that
 * the CLI's scorer (infer/providers.ts) and the studio's page (studio/web_scorer.ts) share. Pure.
 */

import { UsageError } from "./errors.ts";
import type { InputScale, ModelIo, ModelIoSpec } from "./model_io.ts";

const CLASSES = 10;
const PIXELS = 784;

/**
 * Refuses what a search cannot use: fewer than ten numbers per image, or NaN (which would
 * end a run as "stuck" with no image better than the base). `source` names who scored.
 */
export function checkProbabilities(probs: Float32Array, count: number, source: string): void {
  if (probs.length < count * CLASSES) {
    throw new Error(
      `${source} returned ${probs.length} numbers for ${count} images; expected ${
        count * CLASSES
      } (10 per image)`,
    );
  }
  for (let i = 0; i < count * CLASSES; i++) {
    if (Number.isNaN(probs[i])) {
      throw new Error(
        `${source} returned NaN for image ${Math.floor(i / CLASSES)} of the batch (class ${
          i % CLASSES
        }): the model or its input is broken`,
      );
    }
  }
}

/** The images an external model is probed with: a blank one, then grey ones, on its scale. */
export function probeImages(io: ModelIo, count: number): Float32Array {
  const images = new Float32Array(count * PIXELS);
  images.fill(0.5, PIXELS); // a blank image and grey ones
  inputMapping(io.scale)?.(images, images.length);
  return images;
}

/**
 * Checks an external model's outputs on {@linkcode probeImages}: ten numbers per image (a
 * UsageError naming the count otherwise); and, when the config left `output` to detection and
 * the op said logits, outputs that already are probabilities (each in [0, 1], summing to 1)
 * switch `io.output` to "probabilities", so that they are not softmaxed twice.
 */
export function checkProbe(
  raw: Float32Array,
  count: number,
  io: ModelIo,
  spec: ModelIoSpec,
  source: string,
): void {
  if (raw.length !== count * CLASSES) {
    throw new UsageError(
      `Cannot use ${source}: it gave ${
        raw.length / count
      } numbers per image; expected 10 (ten digit classes per image)`,
      { hint: 'Name the output that holds the ten classes with "outputName".' },
    );
  }
  if (spec.output === undefined && io.output === "logits") {
    let probabilities = true;
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let k = 0; k < CLASSES; k++) {
        const p = raw[r * CLASSES + k];
        if (!(p >= 0 && p <= 1)) probabilities = false;
        sum += p;
      }
      if (Math.abs(sum - 1) > 1e-4) probabilities = false;
    }
    if (probabilities) io.output = "probabilities";
  }
}

/**
 * The map from pixels in [0, 1] to a model's input, in place over the first `n` values; null for
 * the identity (identikit's own models), so that nothing is copied for them.
 */
export function inputMapping(scale: InputScale): ((x: Float32Array, n: number) => void) | null {
  if ("mean" in scale) {
    const { mean, std } = scale;
    return (x, n) => {
      for (let i = 0; i < n; i++) x[i] = (x[i] - mean) / std;
    };
  }
  const { min, max } = scale;
  if (min === 0 && max === 1) return null;
  return (x, n) => {
    for (let i = 0; i < n; i++) x[i] = min + x[i] * (max - min);
  };
}

/** Row-wise softmax of `count` rows of 10 logits, stable (the row's maximum subtracted first). */
export function softmaxRows(logits: Float32Array, count: number): Float32Array {
  const out = new Float32Array(count * CLASSES);
  for (let r = 0; r < count; r++) {
    const o = r * CLASSES;
    let max = -Infinity;
    for (let k = 0; k < CLASSES; k++) max = Math.max(max, logits[o + k]);
    let sum = 0;
    for (let k = 0; k < CLASSES; k++) sum += out[o + k] = Math.exp(logits[o + k] - max);
    for (let k = 0; k < CLASSES; k++) out[o + k] /= sum;
  }
  return out;
}
