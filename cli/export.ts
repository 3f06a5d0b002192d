/**
 * `deno task export --model M`: re-exports models/<M>.tfjs to models/<M>.onnx (and updates its
 * hash), but only after the new file matches the tfjs model on the 10,000 test images.
 */

import { EXIT, parseModelFlags, requireAccess, runMain } from "./_cli.ts";
import { sha256Hex, writeJsonAtomic } from "../common/files.ts";
import { UsageError } from "../common/errors.ts";
import { isGenerator, MODEL_NAMES, parseModelName } from "../common/model_names.ts";
import { useBackend } from "../train/backend.ts";
import { loadTfjsModel } from "../train/artifacts.ts";
import { loadMnist } from "../common/mnist.ts";
import { describeParity, exportChecked, PARITY_MAX_DIFF } from "./_export_checked.ts";

const USAGE = `Usage: deno task export --model ${
  MODEL_NAMES.join("|")
} [--models-dir models] [--max-diff ${PARITY_MAX_DIFF.toExponential(0)}]

Exports models/<model>.tfjs to ONNX in memory, scores the 10,000 MNIST test images with
onnxruntime and tfjs, and replaces models/<model>.onnx (and the sha256 in <model>.json) only if
every argmax agrees and max |p_onnx − p_tfjs| ≤ --max-diff. A failed check exits 1 and leaves
the old files as they were.`;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseModelFlags(Deno.args, {
      usage: USAGE,
      flags: {
        "max-diff": {
          type: "string",
          default: String(PARITY_MAX_DIFF),
          arg: "X",
          description: "the largest |p_onnx − p_tfjs| on any test image that still passes",
        },
      },
    });
    const model = parseModelName(values.model);
    if (isGenerator(model)) {
      throw new UsageError(
        `Cannot re-export ${model}: it is a generator; its decoder is exported when it is trained`,
        { hint: `Retrain it: \`deno task train --model ${model}\`.` },
      );
    }
    const dir = values["models-dir"];
    // Checked up front: the parity check takes a while, and its result would be lost.
    requireAccess(dir, "write", { flag: "--models-dir", allowed: "models/" });
    const maxDiff = Number(values["max-diff"]);
    if (values["max-diff"].trim() === "" || !(maxDiff >= 0) || !Number.isFinite(maxDiff)) {
      throw new UsageError(`--max-diff must be a number ≥ 0, got "${values["max-diff"]}"`, {
        hint: USAGE,
      });
    }
    await useBackend("wasm");
    const network = await loadTfjsModel(`${dir}/${model}.tfjs`);
    let meta: Record<string, unknown> = {};
    try {
      meta = JSON.parse(await Deno.readTextFile(`${dir}/${model}.json`));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const test = await loadMnist("test");
    const path = `${dir}/${model}.onnx`;
    const { bytes, parity } = await exportChecked(
      network,
      path,
      {
        modelName: model,
        metadata: Object.fromEntries(
          [["testAccuracy", meta.testAccuracy], ["seed", meta.seed]]
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k as string, String(v)]),
        ),
      },
      test,
      maxDiff,
    ).finally(() => network.dispose());
    console.log(describeParity(parity));
    if (!parity.ok) {
      console.error(
        `error: the exported ONNX does not match the tfjs model; ${path} was left as it was`,
      );
      return EXIT.failure;
    }
    if (Object.keys(meta).length) {
      const sha256 = (meta.sha256 ?? {}) as Record<string, string>;
      await writeJsonAtomic(`${dir}/${model}.json`, {
        ...meta,
        sha256: { ...sha256, onnx: await sha256Hex(bytes) },
      });
    }
    console.log(`Wrote ${path} (${(bytes.length / 1e6).toFixed(1)} MB)`);
    return EXIT.ok;
  });
}
