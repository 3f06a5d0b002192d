/**
 * How many data-parallel training workers to use, and how work splits among them (no tfjs
 * here: the CLIs read these before deciding to load it).
 */

import { type ModelName, TRAINING_DEFAULTS } from "../common/model_names.ts";

/** The number of cores this machine offers (`bench:train` measures that many workers). */
export function coreCount(): number {
  return Math.max(1, navigator.hardwareConcurrency || 1);
}

/** The fewest images per worker and step the default gives a worker (below, fixed costs win). */
export const MIN_SLICE = 16;

/**
 * The CNNs' default number of workers, whatever the machine: the worker count splits every
 * batch (and its dropout masks), so it changes the trained model's bytes, and a default that
 * followed the core count would give each machine its own model. Two is the count the README's
 * models were trained with; `--workers N` trades that reproducibility for speed.
 */
export const DEFAULT_CNN_WORKERS = 2;

/**
 * How many workers train `model` on batches of `batchSize` unless told, the same on every
 * machine: {@linkcode DEFAULT_CNN_WORKERS} for the convolutional networks (minutes to hours of
 * training), but never fewer than {@linkcode MIN_SLICE} images each; the main thread for the
 * rest, which train in seconds and would spend more on starting workers and passing messages
 * than they save. A recipe that names its count (`cnn-w1`) keeps it.
 */
export function defaultWorkersFor(model: ModelName, batchSize: number): number {
  const fixed = TRAINING_DEFAULTS[model].workers;
  if (fixed !== undefined) return fixed;
  if (TRAINING_DEFAULTS[model].architecture !== "cnn") return 1;
  return Math.max(1, Math.min(DEFAULT_CNN_WORKERS, Math.floor(batchSize / MIN_SLICE)));
}

/** Contiguous, nearly equal parts of [0, total): the first `total % parts` get one more. */
export function splitEvenly(total: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(total / parts), extra = total % parts;
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push([at, at + n]);
    at += n;
  }
  return out;
}
