/**
 * Training checkpoints: everything a run needs to continue exactly where it stopped (weights,
 * the optimizer's moments and step count, the shuffling generator, the data order and the
 * position), in one file written atomically. A resumed run ends with the same bytes as an
 * uninterrupted one.
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { writeFileAtomic } from "../common/files.ts";

/** Where a run stands: the next batch is `offset` of epoch `epoch`. */
export interface TrainPosition {
  epoch: number;
  offset: number;
  /** Batches done so far (dropout seeds are drawn per step). */
  step: number;
  samples: number;
  /** Whether `order` is already shuffled for `epoch` (false at an epoch's start). */
  shuffled: boolean;
  order: Uint32Array;
  prngState: number[];
  /** The current epoch's running sums, for its history entry. */
  lossSum: number;
  accSum: number;
  seen: number;
  history: { epoch: number; loss: number; accuracy: number }[];
  /** Training time before this run, so that samples/s covers all of it. */
  elapsedSeconds: number;
}

/** What a checkpoint belongs to: another training (seed, epochs, …) does not resume from it. */
export interface CheckpointKey {
  model: string;
  seed: number;
  epochs: number;
  batchSize: number;
  trainSamples: number;
  /** Data-parallel workers (their count splits each batch; 1 when absent). */
  workers?: number;
}

const MAGIC = "identikit-ckpt-1";

interface Header {
  magic: string;
  key: CheckpointKey;
  position: Omit<TrainPosition, "order">;
  /** The optimizer's bias-correction powers (tfjs Adam recomputes them inexactly on load). */
  accBeta: number[] | null;
  tensors: { group: "model" | "optimizer"; name: string; shape: number[]; dtype: string }[];
}

/** Adam's private bias-correction variables, when the optimizer is Adam. */
function adamPowers(
  optimizer: tf.Optimizer,
): { accBeta1: tf.Variable; accBeta2: tf.Variable } | null {
  const o = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  return o.accBeta1 && o.accBeta2 ? { accBeta1: o.accBeta1, accBeta2: o.accBeta2 } : null;
}

/** Writes a checkpoint of `model` (compiled, with its optimizer) at `position`. */
export async function saveCheckpoint(
  path: string,
  key: CheckpointKey,
  position: TrainPosition,
  model: tfl.LayersModel,
): Promise<void> {
  const weights = model.getWeights();
  const optimizerWeights = await model.optimizer.getWeights();
  const powers = adamPowers(model.optimizer);
  const tensors: Header["tensors"] = [];
  const chunks: Uint8Array[] = [];
  const add = (group: "model" | "optimizer", name: string, t: tf.Tensor) => {
    const data = t.dataSync();
    tensors.push({ group, name, shape: t.shape, dtype: t.dtype });
    chunks.push(new Uint8Array(Float32Array.from(data).buffer));
  };
  weights.forEach((t, i) => add("model", String(i), t));
  for (const w of optimizerWeights) add("optimizer", w.name, w.tensor);
  const { order, ...rest } = position;
  const header: Header = {
    magic: MAGIC,
    key,
    position: rest,
    accBeta: powers ? [powers.accBeta1.dataSync()[0], powers.accBeta2.dataSync()[0]] : null,
    tensors,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const orderBytes = new Uint8Array(order.buffer, order.byteOffset, order.byteLength);
  const size = 4 + headerBytes.length + chunks.reduce((n, c) => n + c.length, 0) +
    orderBytes.length;
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, headerBytes.length, true);
  out.set(headerBytes, 4);
  let at = 4 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  out.set(orderBytes, at);
  await writeFileAtomic(path, out);
}

/** A header's JSON (the bytes after its length); null when it is not a checkpoint's. */
function decodeHeader(bytes: Uint8Array): Header | null {
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes));
    return header?.magic === MAGIC ? header : null;
  } catch {
    return null;
  }
}

/** The parts of `key` a checkpoint's key `saved` differs in (a count of workers absent is 1). */
function keyDifferences(
  saved: CheckpointKey,
  key: Partial<CheckpointKey>,
): (keyof CheckpointKey)[] {
  const workers = (k: CheckpointKey | Partial<CheckpointKey>) => k.workers ?? 1;
  return (Object.keys(key) as (keyof CheckpointKey)[]).filter((k) =>
    k === "workers" ? workers(saved) !== workers(key) : saved[k] !== key[k]
  );
}

/**
 * The worker count of the checkpoint at `path` when it belongs to `training` (every other part
 * of the key equal); null when there is none, it is unreadable, or it belongs to another one.
 * Reads only the header, not the weights.
 */
export async function checkpointWorkers(
  path: string,
  training: Omit<CheckpointKey, "workers">,
): Promise<number | null> {
  let header: Header | null;
  try {
    using file = await Deno.open(path);
    const head = new Uint8Array(4);
    if (await file.read(head) !== 4) return null;
    const bytes = new Uint8Array(new DataView(head.buffer).getUint32(0, true));
    for (let at = 0; at < bytes.length;) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) return null;
      at += n;
    }
    header = decodeHeader(bytes);
  } catch {
    return null;
  }
  if (!header || keyDifferences(header.key, training).length) return null;
  return header.key.workers ?? 1;
}

/**
 * Restores `model` and its optimizer from the checkpoint at `path` and returns the position;
 * null when there is none, or when it belongs to another training (`reason` says which).
 */
export async function loadCheckpoint(
  path: string,
  key: CheckpointKey,
  model: tfl.LayersModel,
): Promise<{ position: TrainPosition } | { position: null; reason: string | null }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { position: null, reason: null };
    throw error;
  }
  const length = bytes.length >= 4
    ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
    : 0;
  const header = bytes.length >= 4 + length ? decodeHeader(bytes.subarray(4, 4 + length)) : null;
  if (!header) return { position: null, reason: `${path} is not a readable checkpoint` };
  let at = 4 + length;
  const differs = keyDifferences(header.key, key);
  if (differs.length) {
    return {
      position: null,
      reason: `${path} belongs to another training (${
        differs.map((k) =>
          `${k} ${k === "workers" ? header.key[k] ?? 1 : header.key[k]} here ${key[k]}`
        )
          .join(", ")
      })`,
    };
  }
  const read = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(bytes.slice(at, at + n * 4).buffer);
    at += n * 4;
    return tf.tensor(data, shape);
  };
  const modelTensors: tf.Tensor[] = [];
  const optimizerTensors: { name: string; tensor: tf.Tensor }[] = [];
  for (const t of header.tensors) {
    const tensor = read(t.shape);
    if (t.group === "model") modelTensors.push(tensor);
    else optimizerTensors.push({ name: t.name, tensor });
  }
  model.setWeights(modelTensors);
  await model.optimizer.setWeights(optimizerTensors);
  const powers = adamPowers(model.optimizer);
  if (powers && header.accBeta) {
    powers.accBeta1.assign(tf.scalar(header.accBeta[0]));
    powers.accBeta2.assign(tf.scalar(header.accBeta[1]));
  }
  tf.dispose([...modelTensors, ...optimizerTensors.map((o) => o.tensor)]);
  const order = new Uint32Array(bytes.slice(at).buffer);
  return { position: { ...header.position, order } };
}
