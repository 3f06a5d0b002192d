/** `deno task export --model M`: re-exports models/<M>.tfjs to models/<M>.onnx (and updates its hash). */

import { EXIT, parseFlags, runMain } from "./_cli.ts";
import { PROJECT_ROOT, sha256Hex, writeJsonAtomic } from "../common/files.ts";
import { MODEL_NAMES, parseModelName } from "../train/model_names.ts";
import { useBackend } from "../train/backend.ts";
import { loadTfjsModel } from "../train/artifacts.ts";
import { exportOnnxFile } from "../train/export_onnx.ts";

const USAGE = `Usage: deno task export --model ${MODEL_NAMES.join("|")} [--models-dir models]`;

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      model: { type: "string", default: "cnn" },
      "models-dir": { type: "string", default: `${PROJECT_ROOT}/models` },
    }, USAGE);
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
    network.dispose();
    console.log(`Wrote ${dir}/${model}.onnx (${(bytes.length / 1e6).toFixed(1)} MB)`);
    return EXIT.ok;
  });
}
