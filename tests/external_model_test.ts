/** Bring your own model: external ONNX classifiers described in the config, checked at load. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { createScorer, softmaxRows } from "../infer/providers.ts";
import { checkModelIo } from "../common/model_io.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { loadMnist } from "../common/mnist.ts";
import { maxAbsDiff, scratch } from "./_helpers.ts";
import { runCli } from "./_cli.ts";
import { TEST_MODELS_DIR } from "./_models.ts";
import { externalModel, type Variant } from "./_external_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const PYTORCH: Variant = { layout: "NCHW", scale: { min: 0, max: 255 }, logits: true };
const NORMALISED: Variant = {
  layout: "NHWC",
  scale: { mean: 0.1307, std: 0.3081 },
  logits: false,
  inputName: "x",
  outputName: "prob",
};

Deno.test({
  ...opts,
  name:
    "external models score exactly as the model they wrap: NCHW 0–255 logits, normalised NHWC, fixed batch",
  fn: async () => {
    const dir = await scratch("byo-parity");
    const test = await loadMnist("test", { limit: 70 });
    const ours = await createScorer("node-cpu", `${TEST_MODELS_DIR}/softmax.onnx`);
    const reference = await ours.score(test.images, test.count);
    await ours.close();
    const cases: [string, Variant, Record<string, unknown>][] = [
      ["pytorch", PYTORCH, { layout: "NCHW", scale: { min: 0, max: 255 }, output: "logits" }],
      ["pytorch-detected", PYTORCH, { scale: { min: 0, max: 255 } }],
      ["normalised", NORMALISED, { scale: { mean: 0.1307, std: 0.3081 } }],
      ["batch1", { ...PYTORCH, batch: 1 }, { scale: { min: 0, max: 255 } }],
      // 70 images in calls of 16: the last call is padded with 10 blank images.
      ["batch16", { ...PYTORCH, batch: 16 }, { scale: { min: 0, max: 255 } }],
      // Softmax → Identity, as tf2onnx writes it: still probabilities, not logits.
      ["identity", { ...NORMALISED, identity: true }, { scale: { mean: 0.1307, std: 0.3081 } }],
    ];
    for (const [name, variant, io] of cases) {
      const bytes = await externalModel(`${dir}/${name}.onnx`, variant);
      const scorer = await createScorer("node-cpu", bytes, { source: name, io });
      assert.deepStrictEqual(
        { layout: scorer.io.layout, output: scorer.io.output, fixedBatch: scorer.io.fixedBatch },
        {
          layout: variant.layout,
          output: variant.logits ? "logits" : "probabilities",
          fixedBatch: typeof variant.batch === "number" ? variant.batch : null,
        },
        name,
      );
      const probs = await scorer.score(test.images, test.count);
      await scorer.close();
      assert.strictEqual(probs.length, 700);
      const diff = maxAbsDiff(probs, reference);
      assert.ok(diff <= 1e-5, `${name}: max |Δp| ${diff}`);
    }
  },
});

Deno.test("softmaxRows() is stable for huge logits and sums to 1", () => {
  const p = softmaxRows(Float32Array.from([1000, 1000, ...Array(8).fill(-1000)]), 1);
  assert.deepStrictEqual([p[0], p[1], p[2]], [0.5, 0.5, 0]);
  const q = softmaxRows(Float32Array.from([0, Math.log(3), ...Array(8).fill(-Infinity)]), 1);
  assert.ok(Math.abs(q[1] - 0.75) < 1e-6);
});

Deno.test({
  ...opts,
  name:
    "a model that is not 10 classes or not 28×28×1 is refused naming the file, the shape and the field",
  fn: async () => {
    const dir = await scratch("byo-refuse");
    const wide = await externalModel(`${dir}/wide.onnx`, { ...PYTORCH, classes: 1000 });
    assert.throws(() => checkModelIo(wide, "wide.onnx", {}), {
      name: "UsageError",
      message:
        'Cannot use wide.onnx: its output "output" is float32 [N, 1000]; expected float32 [N, 10] (ten digit classes per image)',
    });
    const big = await externalModel(`${dir}/big.onnx`, { ...PYTORCH, side: 32 });
    assert.throws(() => checkModelIo(big, "big.onnx", {}), {
      name: "UsageError",
      message:
        'Cannot use big.onnx: its input "input.1" is float32 [N, 1, 32, 32]; expected float32 [N, 1, 28, 28] (NCHW), [N, 28, 28, 1] (NHWC) or [N, 784] (flat)',
    });
    // A file that does not say its output's shape is asked: 1000 numbers per image are refused.
    const unsaid = await externalModel(`${dir}/unsaid.onnx`, {
      ...PYTORCH,
      classes: 1000,
      noOutputShape: true,
    });
    await assert.rejects(createScorer("node-cpu", unsaid, { source: "unsaid.onnx", io: {} }), {
      name: "UsageError",
      message:
        "Cannot use unsaid.onnx: it gave 1000 numbers per image; expected 10 (ten digit classes per image)",
    });
    const nchw = await externalModel(`${dir}/nchw.onnx`, PYTORCH);
    assert.throws(() => checkModelIo(nchw, "nchw.onnx", { layout: "NHWC" }), {
      message:
        'Cannot use nchw.onnx: its input "input.1" is float32 [N, 1, 28, 28]; expected float32 [N, 28, 28, 1] (layout NHWC)',
    });
    assert.throws(() => checkModelIo(nchw, "nchw.onnx", { input: "pixels" }), {
      message: 'Cannot use nchw.onnx: it has no input "pixels" (its inputs: input.1)',
    });
    assert.throws(() => checkModelIo(nchw, "nchw.onnx", { outputName: "y" }), {
      message: 'Cannot use nchw.onnx: it has no output "y" (its outputs: output)',
    });
  },
});

const SWEEP = {
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  seeds: 1,
  target: 0.99,
  maxIterations: 400,
  strategy: { name: "sketch" },
  objective: "logprob",
};

Deno.test({
  ...opts,
  name:
    "experiment with a PyTorch-style model: converges for every digit, PNGs re-score, a changed file is refused",
  fn: async () => {
    const dir = await scratch("byo-cli");
    const model = `${dir}/mnist_cnn.onnx`;
    await externalModel(model, PYTORCH);
    const description = {
      onnx: model,
      layout: "NCHW",
      scale: { min: 0, max: 255 },
      output: "logits",
    };
    const config = `${dir}/byo.json`;
    await Deno.writeTextFile(config, JSON.stringify({ name: "byo", model: description, ...SWEEP }));
    const args = [config, "--results-dir", `${dir}/results`, "--models-dir", `${dir}/none`];
    const run = await runCli("cli/experiment.ts", args);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      /model .*mnist_cnn\.onnx \(external ONNX: NCHW, pixels 0–255, logits \(softmax applied\)\)/,
    );
    assert.doesNotMatch(run.stderr, /training/i);
    const results = `${dir}/results/byo`;
    const { records } = await readRecords(`${results}/runs.jsonl`);
    assert.deepStrictEqual(
      records.map((r) => [r.digit, r.converged]).sort((a, b) => Number(a[0]) - Number(b[0])),
      SWEEP.digits.map((d) => [d, true]),
    );
    // The PNGs are what was scored: through the same description they give the same confidence.
    const scorer = await createScorer("node-cpu", model, { io: parseIo(description) });
    for (const r of records) {
      const png = decodeGreyPng(await Deno.readFile(`${results}/${r.image}`));
      const probs = await scorer.score(Float32Array.from(png.levels, (v) => v / 255), 1);
      assert.ok(Math.abs(probs[r.digit] - r.finalConfidence) <= 1e-6, r.cell);
    }
    await scorer.close();
    const report = await Deno.readTextFile(`${results}/report.md`);
    assert.match(report, /\| model \| `.*mnist_cnn\.onnx` \(external ONNX\) \|/);

    // Another file at the same path: resuming is refused, as for a retrained model.
    await externalModel(model, { ...PYTORCH, inputName: "image" });
    const changed = await runCli("cli/experiment.ts", args);
    assert.strictEqual(changed.code, 2);
    assert.match(
      changed.stderr,
      /Cannot resume .*: its results were made with another search \("modelSha256" was [0-9a-f]{12}…, now [0-9a-f]{12}…\)/,
    );
  },
});

/** The config's description as the scorer takes it. */
function parseIo(description: Record<string, unknown>) {
  const model = parseConfig({ name: "x", model: description }).model;
  assert.ok(typeof model === "object");
  const { onnx: _, ...io } = model;
  return io;
}

Deno.test({
  ...opts,
  name: "a bad external model exits 2 before anything is created: wrong shape, missing file",
  fn: async () => {
    const dir = await scratch("byo-bad");
    await externalModel(`${dir}/wide.onnx`, { ...PYTORCH, classes: 1000 });
    for (
      const [file, message] of [
        ["wide.onnx", /its output "output" is float32 \[N, 1000\]; expected float32 \[N, 10\]/],
        ["missing.onnx", /Cannot use model .*missing\.onnx: there is no such file/],
      ] as const
    ) {
      const config = `${dir}/${file}.json`;
      await Deno.writeTextFile(
        config,
        JSON.stringify({ name: "bad", model: { onnx: `${dir}/${file}` }, ...SWEEP }),
      );
      const out = await runCli("cli/experiment.ts", [config, "--results-dir", `${dir}/results`]);
      assert.strictEqual(out.code, 2, out.stderr);
      assert.match(out.stderr, message);
      assert.ok(!(await exists(`${dir}/results`)), "nothing created");
    }
  },
});
