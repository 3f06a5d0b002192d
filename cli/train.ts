/** `deno task train`: trains a classifier on MNIST (tfjs wasm), then exports it to ONNX. */

import { EXIT, type Flags, intFlag, parseModelFlags, requireAccess, runMain } from "./_cli.ts";
import { trainWithProgress } from "./_train_progress.ts";
import {
  maxTrainImages,
  MODEL_NAMES,
  type ModelName,
  parseModelName,
  TRAINING_DEFAULTS,
} from "../common/model_names.ts";
import { coreCount, DEFAULT_CNN_WORKERS, defaultWorkersFor, MIN_SLICE } from "../train/workers.ts";
import { UsageError } from "../common/errors.ts";

const HOLDING_OUT = MODEL_NAMES.filter((m) => TRAINING_DEFAULTS[m].skip);
const USAGE = `Usage: deno task train --model ${
  MODEL_NAMES.join("|")
} [--epochs N | --steps N] [--batch N] [--seed S] [--limit N] [--workers N] [--models-dir DIR]

Trains the model on MNIST with tfjs (wasm), checkpointing every epoch (a stopped run resumes),
and exports models/<model>.onnx with its metadata (test accuracy, sha256) in <model>.json.
Any flag that changes the recipe gives another model: other bytes than the published ones
(docs/zoo.md).`;

const ZOO = `Models (the zoo):
${MODEL_NAMES.map((m) => `  ${m.padEnd(17)} ${TRAINING_DEFAULTS[m].description}`).join("\n")}`;

const TRAIN_FLAGS = {
  epochs: {
    type: "string",
    arg: "N",
    description: "whole passes over the training images",
    shownDefault: "the recipe's (cnn: 3)",
  },
  steps: {
    type: "string",
    arg: "N",
    description: "train exactly N batches instead of whole epochs",
    shownDefault: "the recipe's (cnn-tutorial: 20,000)",
  },
  batch: {
    type: "string",
    arg: "N",
    description: "images per batch",
    shownDefault: "the recipe's",
  },
  seed: {
    type: "string",
    arg: "S",
    description: "the training seed (initialisation, shuffling, dropout)",
    shownDefault: "the recipe's",
  },
  limit: {
    type: "string",
    arg: "N",
    description:
      `train on N images: the first N of MNIST's 60,000 training images, or the N after the 5,000 that a tutorial recipe holds out for validation (${
        HOLDING_OUT.join(", ")
      }; at most 55,000). A recipe counted in steps keeps its steps: --steps shortens it`,
    shownDefault: "all",
  },
  workers: {
    type: "string",
    arg: "N",
    description:
      `data-parallel training workers. The default is the same on every machine, since the count changes the trained model's bytes: ${DEFAULT_CNN_WORKERS} for the 5×5 CNNs (cnn, cnn-s2, cnn-tutorial, cnn-random; at most one per ${MIN_SLICE} images of a batch), 1 (the main thread) for cnn-w1, whose recipe it is, and for the other models (the VAE trains on the main thread only). More workers train faster on more cores (${coreCount()} here) but give another model; the same seed and N give the same bytes. Without it, a checkpoint continues on its count`,
    shownDefault: "as described",
  },
} as const satisfies Flags;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseModelFlags(Deno.args, {
      usage: USAGE,
      after: ZOO,
      flags: TRAIN_FLAGS,
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
    requireAccess(values["models-dir"], "write", { flag: "--models-dir", allowed: "models/" });
    const controller = new AbortController();
    // Ctrl-C or a scheduler's SIGTERM: stop after the current batch, leaving a checkpoint, and
    // exit with the code of the first signal (130 or 143; `deno task` forwards it again).
    let stopCode: number = EXIT.interrupted;
    const stopOn = (code: number) => () => {
      if (controller.signal.aborted) return;
      stopCode = code;
      controller.abort();
    };
    const onSigint = stopOn(EXIT.interrupted), onSigterm = stopOn(EXIT.terminated);
    Deno.addSignalListener("SIGINT", onSigint);
    // Windows has no SIGTERM to listen for.
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSigterm);
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
        ...(values.limit !== undefined ? { limit: parseLimit(model, values.limit) } : {}),
        modelsDir: values["models-dir"],
        // Unless told, a checkpoint's own count, else the default (the pipeline decides).
        ...(values.workers !== undefined ? { workers } : {}),
        signal: controller.signal,
      });
      if (meta === null) return stopCode;
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
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSigterm);
    }
  });
}

/** `--limit N`: N training images, at most as many as the model's recipe leaves to train on. */
function parseLimit(model: ModelName, value: string): number {
  const max = maxTrainImages(model), skip = TRAINING_DEFAULTS[model].skip ?? 0;
  const n = intFlag("limit", value, { fallback: max });
  if (n > max) {
    throw new UsageError(
      `--limit ${n}: ${model} can train on at most ${max.toLocaleString("en-US")} images${
        skip > 0
          ? ` (its recipe holds out the first ${skip.toLocaleString("en-US")} of MNIST's 60,000)`
          : ""
      }`,
      { hint: `Pass --limit ${max} or less, or leave it out to train on all of them.` },
    );
  }
  return n;
}
