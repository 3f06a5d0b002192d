/** Trains a model with a progress bar; shared by `deno task train` and `deno task experiment`. */

import { formatDuration, progressBar } from "./_cli.ts";
import { DEFAULT_MODELS_DIR } from "../common/files.ts";
import {
  type Architecture,
  checkpointPathFor,
  maxTrainImages,
  TRAINING_DEFAULTS,
} from "../common/model_names.ts";
import { defaultWorkersFor } from "../train/workers.ts";

/** Training rates measured on this project's 2-core machine (`deno task train`), for estimates. */
const SAMPLES_PER_SECOND: Record<Architecture, number> = {
  softmax: 20000,
  cnn: 180,
  lenet: 2700,
  mlp: 7500,
  vae: 1100,
};
import type { ModelName } from "../common/model_names.ts";
import type { GeneratorMetadata, ModelMetadata, TrainAndSaveOptions } from "../train/pipeline.ts";

/**
 * The line before a long training: how much there is to train, about how long it takes, and
 * what Ctrl-C keeps (`checkpoint`: where the checkpoint goes; null when the model keeps none).
 */
export function trainingBanner(
  model: ModelName,
  { samples, workers, rate, checkpoint }: {
    samples: number;
    workers: number;
    rate: number;
    checkpoint: string | null;
  },
): string {
  return `${model}: ${samples.toLocaleString("en-US")} samples to train${
    workers > 1 ? ` on ${workers} workers` : ""
  }; at the ~${rate} samples/s measured on a 2-core machine that is about ${
    formatDuration(samples / rate)
  }. ${
    checkpoint === null
      ? `Ctrl-C stops without saving (${model} keeps no checkpoints): the same command starts over.`
      : `Ctrl-C saves a checkpoint in ${checkpoint} (so does every epoch): the same command continues from it.`
  }`;
}

/**
 * What to say when training was interrupted, from what actually happened: `checkpoint` is where
 * the model keeps its checkpoint (null: it keeps none), `saved` whether one was written after
 * the stop was asked for, `failed` whether the stop ended in an error (which is shown after).
 */
export function interruptedMessage(
  model: ModelName,
  { checkpoint, saved, failed }: { checkpoint: string | null; saved: boolean; failed: boolean },
): string {
  if (checkpoint === null) {
    return failed
      ? `Interrupted while training ${model}, then it failed (the error follows). Nothing was saved: ${model} keeps no checkpoints.`
      : `Interrupted while training ${model}. Nothing was saved (${model} keeps no checkpoints): re-run the same command to train it from the start.`;
  }
  if (saved) {
    return `Interrupted while training ${model}: the checkpoint is saved in ${checkpoint}.${
      failed ? " Then training failed (the error follows)." : ""
    } Re-run the same command to continue from there.`;
  }
  return `Interrupted while training ${model}, and no checkpoint was saved${
    failed ? " (the error follows)" : ""
  }. ${checkpoint} is as it was (checkpoints are written whole or not at all): if an earlier epoch or run wrote one, the same command continues from that.`;
}

/**
 * Trains and saves `model`, drawing a bar with epoch, samples/s, loss and accuracy. Returns
 * null (after saying what was saved) when `options.signal` stopped it; an error after a stop
 * is reported the same way, then thrown.
 */
export async function trainWithProgress(
  model: ModelName,
  options: Omit<TrainAndSaveOptions, "onProgress" | "onTrained" | "onCheckpoint" | "log">,
): Promise<ModelMetadata | GeneratorMetadata | null> {
  // Loaded on demand: tfjs is only needed when something is trained.
  const { trainAndSave } = await import("../train/pipeline.ts");
  const bar = progressBar(
    "train {model} |{bar}| {percentage}% | epoch {epoch}/{epochs} | {sps} samples/s | loss {loss} | acc {acc} | ETA {eta_formatted}",
  );
  let started = false;
  const recipe = TRAINING_DEFAULTS[model];
  const checkpoint = checkpointPathFor(model, options.modelsDir ?? DEFAULT_MODELS_DIR);
  const samples = options.steps !== undefined
    ? options.steps * options.batchSize
    : options.epochs * (options.limit ?? maxTrainImages(model));
  // Data-parallel workers: the CNN's full runs on 2 workers went at 434–455 samples/s on the
  // 2-core machine, against 147–161 on the main thread; 2.4× the figure above.
  const workers = options.workers ?? defaultWorkersFor(model, options.batchSize);
  const rate = Math.round(SAMPLES_PER_SECOND[recipe.architecture] * (workers > 1 ? 2.4 : 1));
  if (samples / rate > 120) {
    console.error(trainingBanner(model, { samples, workers, rate, checkpoint }));
  }
  // Whether a checkpoint was written after the stop was asked for (the stop writes one).
  let saved = false;
  try {
    return await trainAndSave(model, {
      ...options,
      log: (line) => console.error(line),
      onCheckpoint: () => {
        if (options.signal?.aborted) saved = true;
      },
      onProgress: (p) => {
        const payload = {
          model,
          epoch: p.epoch,
          epochs: p.epochs,
          sps: p.samplesPerSecond.toFixed(0),
          loss: p.loss.toFixed(4),
          acc: p.accuracy.toFixed(4),
        };
        if (!started) bar.start(p.totalSamples, 0, payload);
        started = true;
        bar.update(p.samples, payload);
      },
      onTrained: () => bar.stop(),
    });
  } catch (error) {
    bar.stop();
    if (!options.signal?.aborted) throw error;
    // The stop itself ends training with an AbortError; anything else is a failure after it.
    const failed = (error as Error)?.name !== "AbortError";
    console.error(interruptedMessage(model, { checkpoint, saved, failed }));
    if (failed) throw error;
    return null;
  }
}
