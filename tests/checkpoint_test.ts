/** Training checkpoints: a run stopped mid-epoch and resumed ends with the same bytes. */

import assert from "node:assert/strict";
import { exists, PROJECT_ROOT } from "../common/files.ts";
import { trainAndSave } from "../train/pipeline.ts";
import { loadCheckpoint } from "../train/checkpoint.ts";
import { buildModel, compileModel } from "../train/models.ts";
import { TRAINING_DEFAULTS } from "../common/model_names.ts";
import { scratch } from "./_helpers.ts";
import { CLI_FLAGS, runCli } from "./_cli.ts";
import { acquireLock } from "../common/lock.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
// The CNN with Adam (moments, step count, bias-correction powers) and dropout seeded per step,
// on the main thread (tests/parallel_test.ts does the same with workers).
const TRAINING = { epochs: 2, batchSize: 64, seed: 3, limit: 640, workers: 1 };

Deno.test({
  ...opts,
  name:
    "a CNN stopped mid-epoch resumes from its checkpoint to the same sha256 as an uninterrupted run",
  fn: async () => {
    const dir = await scratch("ckpt");
    const whole = await trainAndSave("cnn", { ...TRAINING, modelsDir: `${dir}/whole` });
    assert.ok(!(await exists(`${dir}/whole/cnn.ckpt`)), "a finished run leaves no checkpoint");

    // Stop in the second epoch, after 13 of the 20 batches: 3 into epoch 2.
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(
      trainAndSave("cnn", {
        ...TRAINING,
        modelsDir: `${dir}/stopped`,
        signal: controller.signal,
        onProgress: () => {
          if (++batches === 13) controller.abort();
        },
      }),
      { name: "AbortError" },
    );
    assert.ok(await exists(`${dir}/stopped/cnn.ckpt`), "stopping writes a checkpoint");
    assert.ok(!(await exists(`${dir}/stopped/cnn.json`)), "and no model");
    // Another training (another seed) does not resume from it.
    const key = { model: "cnn", seed: 3, epochs: 2, batchSize: 64, trainSamples: 640 };
    const network = buildModel("cnn", 4);
    compileModel(network, TRAINING_DEFAULTS.cnn);
    const other = await loadCheckpoint(`${dir}/stopped/cnn.ckpt`, { ...key, seed: 4 }, network);
    assert.deepStrictEqual(other, {
      position: null,
      reason: `${dir}/stopped/cnn.ckpt belongs to another training (seed 3 here 4)`,
    });
    network.dispose();
    const lines: string[] = [];
    const resumed = await trainAndSave("cnn", {
      ...TRAINING,
      modelsDir: `${dir}/stopped`,
      log: (line) => lines.push(line),
    });
    assert.ok(
      lines.some((l) => /Resuming from .*cnn\.ckpt: epoch 2, 832 samples done/.test(l)),
      lines.join("\n"),
    );
    assert.deepStrictEqual(resumed.sha256, whole.sha256);
    assert.deepStrictEqual(resumed.history, whole.history);
    assert.ok(!(await exists(`${dir}/stopped/cnn.ckpt`)));
  },
});

for (const workers of ["1", "2"]) {
  Deno.test({
    ...opts,
    name:
      `\`deno task train --workers ${workers}\` killed with SIGKILL mid-epoch and run again ends with the same sha256`,
    fn: async () => {
      const dir = await scratch(`ckpt-kill-${workers}`);
      const train = (modelsDir: string) =>
        new Deno.Command("deno", {
          args: [
            "run",
            ...CLI_FLAGS,
            "cli/train.ts",
            "--model",
            "softmax",
            "--epochs",
            "3",
            "--limit",
            "6000",
            "--workers",
            workers,
            "--models-dir",
            modelsDir,
          ],
          cwd: PROJECT_ROOT,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        });
      const whole = await train(`${dir}/whole`).output();
      assert.strictEqual(whole.code, 0, new TextDecoder().decode(whole.stderr));
      const reference = JSON.parse(await Deno.readTextFile(`${dir}/whole/softmax.json`)).sha256;

      const child = train(`${dir}/killed`).spawn();
      const output = child.output();
      // Kill once the first epoch's checkpoint exists (during the second epoch).
      const deadline = Date.now() + 120_000;
      while (!(await exists(`${dir}/killed/softmax.ckpt`)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      await output;
      assert.ok(await exists(`${dir}/killed/softmax.ckpt`), "the first epoch left a checkpoint");
      assert.ok(!(await exists(`${dir}/killed/softmax.json`)), "killed before the end");
      const again = await train(`${dir}/killed`).output();
      const stderr = new TextDecoder().decode(again.stderr);
      assert.strictEqual(again.code, 0, stderr);
      assert.match(stderr, /Resuming from .*softmax\.ckpt: epoch 2/);
      const resumed = JSON.parse(await Deno.readTextFile(`${dir}/killed/softmax.json`)).sha256;
      assert.deepStrictEqual(resumed, reference);
    },
  });
}

Deno.test({
  name: "a second trainer of the same model and folder is refused (exit 2) naming the first",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await scratch("train-lock");
    const held = await acquireLock(`${dir}/softmax.train.lock`);
    try {
      const { code, stderr } = await runCli("cli/train.ts", [
        "--model",
        "softmax",
        "--epochs",
        "1",
        "--limit",
        "200",
        "--models-dir",
        dir,
      ]);
      assert.strictEqual(code, 2, stderr);
      assert.match(stderr, new RegExp(`pid ${Deno.pid}`));
      assert.match(stderr, /Another process is training softmax into/);
      assert.ok(!(await exists(`${dir}/softmax.onnx`)));
    } finally {
      await held.release();
    }
  },
});
