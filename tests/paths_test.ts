/** A checkout under a folder whose name has a space and a non-ASCII letter works as any other. */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { scratch } from "./_helpers.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const SOURCES = ["cli", "common", "experiments", "infer", "train", "deno.json", "deno.lock"];

Deno.test({
  name: "an experiment runs from a checkout in “check out ü/” (paths are decoded, not %-escaped)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await tinyModel("softmax");
    const root = `${await scratch("paths")}/check out ü`;
    await Deno.mkdir(`${root}/models`, { recursive: true });
    await Deno.mkdir(`${root}/configs`);
    for (const source of SOURCES) await copy(`${PROJECT_ROOT}/${source}`, `${root}/${source}`);
    for (const file of ["softmax.onnx", "softmax.json"]) {
      await Deno.copyFile(`${TEST_MODELS_DIR}/${file}`, `${root}/models/${file}`);
    }
    const modules = Deno.realPathSync(`${PROJECT_ROOT}/node_modules`);
    const link = await new Deno.Command("bash", {
      args: ["-c", 'ln -s "$1" "$2"', "ln", modules, `${root}/node_modules`],
    }).output();
    assert.strictEqual(link.code, 0);
    await Deno.writeTextFile(
      `${root}/configs/tiny.json`,
      JSON.stringify({
        name: "tiny",
        model: "softmax",
        digits: [1],
        seeds: 1,
        masks: [20],
        target: 0.5,
        maxIterations: 40,
      }),
    );
    // The experiment task's permissions; node_modules is reached through the link.
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        `--allow-read=.,${modules}`,
        "--allow-write=models,results",
        `--allow-ffi=./node_modules,${modules}`,
        "--allow-sys=osRelease",
        "cli/experiment.ts",
        "configs/tiny.json",
      ],
      cwd: root,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.strictEqual(out.code, 0, stderr);
    const { records } = await readRecords(`${root}/results/tiny/runs.jsonl`);
    assert.deepStrictEqual(records.map((r) => [r.cell, r.converged]), [["1-1-20", true]]);
  },
});

async function copy(from: string, to: string): Promise<void> {
  const info = await Deno.stat(from);
  if (!info.isDirectory) return await Deno.copyFile(from, to);
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    await copy(`${from}/${entry.name}`, `${to}/${entry.name}`);
  }
}
