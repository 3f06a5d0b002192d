/** `deno task export --model M`: re-exports models/<M>.tfjs to models/<M>.onnx (and updates its hash). */

import { EXIT, parseFlags, runMain } from "./_cli.ts";
import { DEFAULT_MODELS_DIR, sha256Hex, writeJsonAtomic } from "../common/files.ts";
import { MODEL_NAMES, parseModelName } from "../train/model_names.ts";
import { useBackend } from "../train/backend.ts";
import { loadTfjsModel } from "../train/artifacts.ts";
import { exportOnnxFile } from "../train/export_onnx.ts";
import { loadMnist } from "../train/mnist.ts";
import { predictProbabilities } from "../train/train.ts";
import { accuracy, argmaxRows, maxAbsDiff } from "../common/probabilities.ts";
import { createScorer } from "../infer/providers.ts";

const USAGE = `Usage: deno task export --model ${MODEL_NAMES.join("|")} [--models-dir models]`;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        model: { type: "string", default: "cnn" },
        "models-dir": { type: "string", default: DEFAULT_MODELS_DIR },
      },
    });
    const model = parseModelName(values.model);
    const dir = values["models-dir"];
    await useBackend("wasm");
    const network = await loadTfjsModel(`${dir}/${model}.tfjs`);
    let meta: Record<string, unknown> = {};
    try {
      meta = JSON.parse(await Deno.readTextFile(`${dir}/${model}.json`));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const bytes = await exportOnnxFile(network, `${dir}/${model}.onnx`, {
      modelName: model,
      metadata: Object.fromEntries(
        [["testAccuracy", meta.testAccuracy], ["seed", meta.seed]]
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k as string, String(v)]),
      ),
    });
    const sha256 = (meta.sha256 ?? {}) as Record<string, string>;
    if (Object.keys(meta).length) {
      await writeJsonAtomic(`${dir}/${model}.json`, {
        ...meta,
        sha256: { ...sha256, onnx: await sha256Hex(bytes) },
      });
    }
    console.log(`Wrote ${dir}/${model}.onnx (${(bytes.length / 1e6).toFixed(1)} MB)`);
    // Parity on the whole test set: the ONNX file must classify exactly as the tfjs model does.
    const test = await loadMnist("test");
    const reference = predictProbabilities(network, test);
    network.dispose();
    const scorer = await createScorer("node-cpu", bytes);
    const probs = await scorer.score(test.images, test.count);
    await scorer.close();
    // Agreement is accuracy with the tfjs predictions as the labels.
    const same = Math.round(accuracy(probs, argmaxRows(reference)) * test.count);
    const maxDiff = maxAbsDiff(probs, reference);
    console.log(
      `Parity on the ${test.count} test images: same argmax on ${same}, max |p_onnx − p_tfjs| = ${
        maxDiff.toExponential(2)
      }; ONNX accuracy ${(accuracy(probs, test.labels) * 100).toFixed(2)} %`,
    );
    if (same < test.count - 1) return EXIT.failure;
    return EXIT.ok;
  });
}
