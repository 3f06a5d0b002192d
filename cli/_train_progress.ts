/** Trains a model with a progress bar; shared by `deno task train` and `deno task experiment`. */

import { formatDuration, progressBar } from "./_cli.ts";
import { type Architecture, TRAINING_DEFAULTS } from "../train/model_names.ts";
import { defaultWorkersFor } from "../train/workers.ts";

/** Training rates measured on this project's 2-core machine (`deno task train`), for estimates. */
const SAMPLES_PER_SECOND: Record<Architecture, number> = {
  softmax: 20000,
  cnn: 180,
  lenet: 2700,
  mlp: 7500,
  vae: 1100,
};
import type { ModelName } from "../train/model_names.ts";
import type { GeneratorMetadata, ModelMetadata, TrainAndSaveOptions } from "../train/pipeline.ts";

/**
 * Trains and saves `model`, drawing a bar with epoch, samples/s, loss and accuracy. Returns
 * null (after saying so) when `options.signal` aborted it: only a checkpoint was written then.
 */
export async function trainWithProgress(
  model: ModelName,
  options: Omit<TrainAndSaveOptions, "onProgress" | "onTrained" | "log">,
): Promise<ModelMetadata | GeneratorMetadata | null> {
  // Loaded on demand: tfjs is only needed when something is trained.
  const { trainAndSave } = await import("../train/pipeline.ts");
  const bar = progressBar(
    "train {model} |{bar}| {percentage}% | epoch {epoch}/{epochs} | {sps} samples/s | loss {loss} | acc {acc} | ETA {eta_formatted}",
  );
  let started = false;
  const recipe = TRAINING_DEFAULTS[model];
  const samples = options.steps !== undefined
    ? options.steps * options.batchSize
    : options.epochs * ((options.limit ?? 60000) - (recipe.skip ?? 0));
  // Data-parallel workers: the CNN's full runs on 2 workers went at 434–455 samples/s on the
  // 2-core machine, against 147–161 on the main thread; 2.4× the figure above.
  const workers = options.workers ?? defaultWorkersFor(model, options.batchSize);
  const rate = Math.round(SAMPLES_PER_SECOND[recipe.architecture] * (workers > 1 ? 2.4 : 1));
  if (samples / rate > 120) {
    console.error(
      `${model}: ${samples.toLocaleString("en-US")} samples to train${
        workers > 1 ? ` on ${workers} workers` : ""
      }; at the ~${rate} samples/s measured on a 2-core machine that is about ${
        formatDuration(samples / rate)
      }. Ctrl-C saves a checkpoint (so does every epoch): the same command continues from it.`,
    );
  }
  try {
    return await trainAndSave(model, {
      ...options,
      log: (line) => console.error(line),
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
    if (options.signal?.aborted) {
      console.error(
        `Interrupted while training: the progress is saved in ${
          options.modelsDir ?? "models"
        }/${model}.ckpt. Re-run the same command to continue from there.`,
      );
      return null;
    }
    throw error;
  }
}
