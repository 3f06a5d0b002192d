/** `deno task train` as a user meets it: signals, exit codes, and messages that say what was saved. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { interruptedMessage, trainingBanner, trainWithProgress } from "../cli/_train_progress.ts";
import { scratch } from "./_helpers.ts";
import { runCli, spawnCli } from "./_cli.ts";
import { runTask } from "./_task.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("interruptedMessage() says a checkpoint is saved only when one was written", () => {
  const ckpt = "models/cnn.ckpt";
  assert.strictEqual(
    interruptedMessage("cnn", { checkpoint: ckpt, saved: true, failed: false }),
    "Interrupted while training cnn: the checkpoint is saved in models/cnn.ckpt. Re-run the same command to continue from there.",
  );
  // A failed checkpoint write: nothing new was saved.
  const unsaved = interruptedMessage("cnn", { checkpoint: ckpt, saved: false, failed: true });
  assert.doesNotMatch(unsaved, /is saved|progress/);
  assert.match(unsaved, /no checkpoint was saved \(the error follows\)/);
  assert.match(unsaved, /models\/cnn\.ckpt is as it was/);
  // Saved, and then something else failed: both are said.
  assert.match(
    interruptedMessage("cnn", { checkpoint: ckpt, saved: true, failed: true }),
    /the checkpoint is saved in models\/cnn\.ckpt\. Then training failed \(the error follows\)/,
  );
  // The VAE keeps no checkpoint.
  for (const failed of [false, true]) {
    const vae = interruptedMessage("vae", { checkpoint: null, saved: false, failed });
    assert.match(vae, /Nothing was saved/);
    assert.doesNotMatch(vae, /ckpt|checkpoint is saved/);
  }
});

Deno.test("trainingBanner() says Ctrl-C saves a checkpoint only for models that keep one", () => {
  const common = { samples: 600_000, workers: 1, rate: 1100 };
  const vae = trainingBanner("vae", { ...common, checkpoint: null });
  assert.match(vae, /Ctrl-C stops without saving \(vae keeps no checkpoints\)/);
  assert.doesNotMatch(vae, /saves a checkpoint/);
  assert.strictEqual(
    trainingBanner("cnn", { ...common, workers: 2, rate: 432, checkpoint: "models/cnn.ckpt" }),
    "cnn: 600,000 samples to train on 2 workers; at the ~432 samples/s measured on a 2-core machine that is about 23m 09s. Ctrl-C saves a checkpoint in models/cnn.ckpt (so does every epoch): the same command continues from it.",
  );
});

/** Runs `fn` with console.error's lines collected into the returned list. */
async function collectingErrors<T>(fn: () => Promise<T>): Promise<[T | Error, string[]]> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    return [await fn().catch((error: Error) => error), lines];
  } finally {
    console.error = original;
  }
}

const STOPPED = { epochs: 2, batchSize: 100, seed: 1, limit: 1000 };

Deno.test({
  ...opts,
  name: "trainWithProgress() stopped names the checkpoint it wrote",
  fn: async () => {
    const dir = await scratch("train-stop-saved");
    const controller = new AbortController();
    controller.abort();
    const [result, lines] = await collectingErrors(() =>
      trainWithProgress("softmax", { ...STOPPED, modelsDir: dir, signal: controller.signal })
    );
    assert.strictEqual(result, null);
    assert.ok(await exists(`${dir}/softmax.ckpt`));
    assert.ok(
      lines.includes(
        `Interrupted while training softmax: the checkpoint is saved in ${dir}/softmax.ckpt. Re-run the same command to continue from there.`,
      ),
      lines.join("\n"),
    );
  },
});

Deno.test({
  ...opts,
  name: "trainWithProgress() stopped, when the checkpoint cannot be written, says none was saved",
  fn: async () => {
    const dir = await scratch("train-stop-unsaved");
    // A folder where the checkpoint goes: writing it fails.
    await Deno.mkdir(`${dir}/softmax.ckpt/taken`, { recursive: true });
    const controller = new AbortController();
    controller.abort();
    const [result, lines] = await collectingErrors(() =>
      trainWithProgress("softmax", { ...STOPPED, modelsDir: dir, signal: controller.signal })
    );
    assert.ok(result instanceof Error && result.name !== "AbortError", String(result));
    const said = lines.join("\n");
    assert.match(said, /Interrupted while training softmax, and no checkpoint was saved/);
    assert.doesNotMatch(said, /is saved|progress/);
  },
});

Deno.test({
  ...opts,
  name: "trainWithProgress() stopped says the VAE saved nothing",
  fn: async () => {
    const dir = await scratch("train-stop-vae");
    const controller = new AbortController();
    controller.abort();
    const [result, lines] = await collectingErrors(() =>
      trainWithProgress("vae", { ...STOPPED, modelsDir: dir, signal: controller.signal })
    );
    assert.strictEqual(result, null);
    const said = lines.join("\n");
    assert.match(said, /Interrupted while training vae\. Nothing was saved/);
    assert.doesNotMatch(said, /ckpt/);
    assert.ok(!(await exists(`${dir}/vae.ckpt`)));
  },
});

for (
  const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const
) {
  Deno.test({
    ...opts,
    name: `\`deno task train\` stopped by ${signal} exits ${code}, naming the checkpoint it saved`,
    ignore: Deno.build.os === "windows",
    fn: async () => {
      const dir = await scratch(`train-${signal.toLowerCase()}`);
      // About 12 s of training: long enough to be stopped in the middle.
      const child = spawnCli("cli/train.ts", [
        "--model",
        "softmax",
        "--epochs",
        "40",
        "--limit",
        "6000",
        "--models-dir",
        dir,
      ]);
      const stdout = new Response(child.stdout).text();
      // Stop it once training has started (its first epoch has ended).
      const deadline = Date.now() + 120_000;
      while (!(await exists(`${dir}/softmax.ckpt`)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill(signal);
      const stderr = await new Response(child.stderr).text();
      const { code: exit } = await child.status;
      await stdout;
      assert.strictEqual(exit, code, stderr);
      assert.match(
        stderr,
        /Interrupted while training softmax: the checkpoint is saved in .*softmax\.ckpt\. Re-run the same command to continue from there\./,
      );
      assert.ok(await exists(`${dir}/softmax.ckpt`));
      assert.ok(!(await exists(`${dir}/softmax.json`)), "stopped before the end");
    },
  });
}

Deno.test({
  ...opts,
  name: "`deno task train --limit` beyond a held-out recipe's training images exits 2",
  fn: async () => {
    const dir = await scratch("train-limit-cli");
    const { code, stderr } = await runCli("cli/train.ts", [
      "--model",
      "cnn-tutorial",
      "--limit",
      "55001",
      "--models-dir",
      dir,
    ]);
    assert.strictEqual(code, 2, stderr);
    assert.match(
      stderr,
      /--limit 55001: cnn-tutorial can train on at most 55,000 images \(its recipe holds out the first 5,000 of MNIST's 60,000\)/,
    );
    assert.match(stderr, /Pass --limit 55000 or less/);
  },
});

Deno.test("deno task train and export with a --models-dir they may not write exit 2 before any work, naming the folder", async () => {
  for (const task of ["train", "export"]) {
    const { code, stderr } = await runTask(task, `cli/${task}.ts`, [
      "--model",
      "softmax",
      "--models-dir",
      "/tmp/identikit-not-models",
    ]);
    assert.equal(code, 2, `${task}: ${stderr}`);
    assert.match(stderr, /--models-dir \/tmp\/identikit-not-models: this task may not write there/);
    // Neither training nor the parity check ran, and no stack trace.
    assert.doesNotMatch(stderr, /NotCapable|Training|epoch|parity/i, task);
  }
});
