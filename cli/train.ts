/** `deno task train`: trains a classifier on MNIST (tfjs wasm), then exports it to ONNX. */

import { DEFAULT_MODELS_DIR } from "../common/files.ts";
import { EXIT, intFlag, parseFlags, runMain } from "./_cli.ts";
import { trainWithProgress } from "./_train_progress.ts";
import { MODEL_NAMES, parseModelName, TRAINING_DEFAULTS } from "../train/model_names.ts";
import { coreCount, defaultWorkersFor, MIN_SLICE } from "../train/workers.ts";
import { UsageError } from "../common/errors.ts";

const USAGE = `Usage: deno task train --model ${
  MODEL_NAMES.join("|")
} [--epochs N | --steps N] [--batch N] [--seed S] [--limit N] [--workers N] [--models-dir DIR]

  --workers N   data-parallel training workers: by default one per core for the CNNs (${coreCount()} here),
                at most one per ${MIN_SLICE} images of a batch, and 1 (the main thread) for the small
                models; the same seed and N give the same bytes

Models (the zoo):
${MODEL_NAMES.map((m) => `  ${m.padEnd(8)} ${TRAINING_DEFAULTS[m].description}`).join("\n")}`;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        model: { type: "string", default: "cnn" },
        epochs: { type: "string" },
        steps: { type: "string" },
        batch: { type: "string" },
        seed: { type: "string" },
        limit: { type: "string" },
        workers: { type: "string" },
        "models-dir": { type: "string", default: DEFAULT_MODELS_DIR },
      },
    });
    const model = parseModelName(values.model);
    const defaults = TRAINING_DEFAULTS[model];
    const batchSize = intFlag("batch", values.batch, { fallback: defaults.batchSize });
    const workers = intFlag("workers", values.workers, {
      fallback: defaultWorkersFor(model, batchSize),
      max: batchSize,
    });
    if (workers > 1 && defaults.architecture === "vae") {
      throw new UsageError(`--workers ${workers}: the VAE trains on the main thread only`, {
        hint: "Leave out --workers (or pass --workers 1) for --model vae.",
      });
    }
    const controller = new AbortController();
    // Ctrl-C or a scheduler's SIGTERM: stop after the current batch, leaving a checkpoint.
    const onSigint = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSigint);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSigint);
    try {
      const meta = await trainWithProgress(model, {
        epochs: intFlag("epochs", values.epochs, { fallback: defaults.epochs }),
        // A recipe in steps keeps them unless --epochs or --steps says otherwise.
        ...(values.steps !== undefined
          ? { steps: intFlag("steps", values.steps, { fallback: 1 }) }
          : values.epochs === undefined && defaults.steps !== undefined
          ? { steps: defaults.steps }
          : {}),
        batchSize,
        seed: intFlag("seed", values.seed, { fallback: defaults.seed, min: 0, max: 2 ** 32 - 1 }),
        limit: intFlag("limit", values.limit, { fallback: 60000, max: 60000 }),
        modelsDir: values["models-dir"],
        // Unless told, a checkpoint's own count, else the default (the pipeline decides).
        ...(values.workers !== undefined ? { workers } : {}),
        signal: controller.signal,
      });
      if (meta === null) return EXIT.interrupted;
      const quality = "testAccuracy" in meta
        ? `test accuracy ${(meta.testAccuracy * 100).toFixed(2)} %`
        : `test loss ${meta.testLoss.toFixed(1)} nats/image, reconstruction distance ${
          meta.reconstructionDistance.toFixed(2)
        }`;
      console.log(
        `${model}: ${quality} after ${meta.epochs} epoch(s), ${
          meta.samplesPerSecond.toFixed(0)
        } samples/s, ${meta.trainSeconds.toFixed(0)} s`,
      );
      return EXIT.ok;
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSigint);
    }
  });
}
