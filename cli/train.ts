/** `deno task train`: trains a classifier on MNIST (tfjs wasm), then exports it to ONNX. */

import { EXIT, intFlag, parseFlags, progressBar, runMain } from "./_cli.ts";
import { MODEL_NAMES, parseModelName, TRAINING_DEFAULTS } from "../train/model_names.ts";
import { DEFAULT_MODELS_DIR, trainAndSave } from "../train/pipeline.ts";

const USAGE = `Usage: deno task train --model ${
  MODEL_NAMES.join("|")
} [--epochs N] [--batch N] [--seed S] [--limit N] [--models-dir DIR]`;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      model: { type: "string", default: "cnn" },
      epochs: { type: "string" },
      batch: { type: "string" },
      seed: { type: "string" },
      limit: { type: "string" },
      "models-dir": { type: "string", default: DEFAULT_MODELS_DIR },
    }, USAGE);
    const model = parseModelName(values.model);
    const defaults = TRAINING_DEFAULTS[model];
    const bar = progressBar(
      "train {model} |{bar}| {percentage}% | epoch {epoch}/{epochs} | {sps} samples/s | loss {loss} | acc {acc} | ETA {eta_formatted}",
    );
    let started = false;
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSigint);
    try {
      const meta = await trainAndSave(model, {
        epochs: intFlag("epochs", values.epochs, defaults.epochs),
        batchSize: intFlag("batch", values.batch, defaults.batchSize),
        seed: intFlag("seed", values.seed, 1, { min: 0, max: 2 ** 32 - 1 }),
        limit: intFlag("limit", values.limit, 60000, { max: 60000 }),
        modelsDir: values["models-dir"],
        signal: controller.signal,
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
          if (!started) {
            bar.start(p.totalSamples, 0, payload);
            started = true;
          }
          bar.update(p.samples, payload);
        },
        onTrained: () => bar.stop(),
      });
      console.log(
        `${model}: test accuracy ${
          (meta.testAccuracy * 100).toFixed(2)
        } % after ${meta.epochs} epoch(s), ${meta.samplesPerSecond.toFixed(0)} samples/s, ${
          meta.trainSeconds.toFixed(0)
        } s`,
      );
      return EXIT.ok;
    } catch (error) {
      bar.stop();
      if (controller.signal.aborted) {
        console.error(
          "Interrupted: nothing was written. Re-run the same command to train again.",
        );
        return EXIT.interrupted;
      }
      throw error;
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
    }
  });
}
