/**
 * Judges: the pixel judges on the real MNIST data (nearest training digit, digit means, the
 * plausibility yardstick), model judges, configs that would put a judge in the search, and a
 * whole sweep of an ensemble through a latent space, judged, from the command line.
 */

import assert from "node:assert/strict";
import { createPixelJudges, type PixelJudges } from "../experiments/judge/pixel_judges.ts";
import { createJudge } from "../experiments/judge/judges.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { loadMnist } from "../common/mnist.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { exists } from "../common/files.ts";
import { scratch, TMP } from "./_helpers.ts";
import { runCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

let judges: Promise<{ pixel: PixelJudges; logged: string[] }> | undefined;
/** The pixel judges, made once (the reference takes ~10 s), cached under tests/tmp. */
function pixelJudges(): Promise<{ pixel: PixelJudges; logged: string[] }> {
  judges ??= (async () => {
    const logged: string[] = [];
    const pixel = await createPixelJudges({
      cachePath: `${TMP}/pixel-reference.json`,
      log: (line) => logged.push(line),
    });
    return { pixel, logged };
  })();
  return judges;
}

Deno.test({
  ...opts,
  name: "the pixel judges find a training digit itself, measure real digits, and read digit means",
  fn: async () => {
    const { pixel } = await pixelJudges();
    const train = await loadMnist("train", { limit: 3 });
    const [first] = await pixel.nearest(train.images.subarray(0, 784), 1);
    // A training digit's nearest training digit is itself (float32 distances: within 1e-3).
    assert.ok(first.distance < 1e-3, `distance ${first.distance}`);
    assert.strictEqual(first.label, train.labels[0]);
    // MNIST's own numbers: real test digits lie a median ~4.3 from their nearest training
    // digit, 95 % within ~6.1 (pixels in [0, 1]).
    const { median, p95, testDistances } = pixel.reference;
    assert.strictEqual(testDistances.length, 10000);
    assert.ok(median > 4 && median < 4.7, `median ${median}`);
    assert.ok(p95 > 5.7 && p95 < 6.5, `p95 ${p95}`);
    // A digit mean correlates best with itself.
    const test = await loadMnist("test");
    const mean = new Float32Array(784);
    let n = 0;
    for (let i = 0; i < test.count; i++) {
      if (test.labels[i] !== 4) continue;
      n++;
      for (let j = 0; j < 784; j++) mean[j] += test.images[i * 784 + j];
    }
    mean.forEach((v, j) => (mean[j] = v / n));
    const read = pixel.nearestMean(mean);
    assert.strictEqual(read.label, 4);
    assert.ok(read.correlation > 0.999999);
  },
});

Deno.test({
  ...opts,
  name: "a second start reads the reference from its cache instead of measuring again",
  fn: async () => {
    await pixelJudges();
    const logged: string[] = [];
    const again = await createPixelJudges({
      cachePath: `${TMP}/pixel-reference.json`,
      log: (line) => logged.push(line),
    });
    try {
      assert.deepStrictEqual(logged, []);
      assert.strictEqual(again.reference.p95, (await pixelJudges()).pixel.reference.p95);
    } finally {
      await again.close();
    }
  },
});

Deno.test({
  ...opts,
  name:
    "createJudge() gives each judge's verdict: label, whether it is the target, and its evidence",
  fn: async () => {
    const { pixel } = await pixelJudges();
    const test = await loadMnist("test");
    // A real test 3 well inside the yardstick.
    const index = [...test.labels.keys()].find((i) =>
      test.labels[i] === 3 && pixel.reference.testDistances[i] < pixel.reference.p95 - 0.5
    )!;
    const levels = Uint8Array.from(
      test.images.subarray(index * 784, (index + 1) * 784),
      (v) => Math.round(v * 255),
    );
    const fake = fakeScorer(3);
    const judge = createJudge(["nearest", "mean", "plausible", "lenet"], {
      models: new Map([["lenet", fake]]),
      pixel,
    });
    const as3 = await judge(levels, 3);
    assert.deepStrictEqual(Object.keys(as3), ["nearest", "mean", "plausible", "lenet"]);
    assert.deepStrictEqual([as3.nearest.label, as3.nearest.target], [3, true]);
    assert.deepStrictEqual([as3.plausible.label, as3.plausible.target], [3, true]);
    assert.ok(Math.abs(as3.nearest.distance! - pixel.reference.testDistances[index]) < 1e-3);
    assert.deepStrictEqual([as3.mean.label, as3.mean.target], [3, true]);
    assert.ok(as3.mean.correlation! > 0.3 && as3.mean.correlation! < 1);
    const p = await fake(Float32Array.from(levels, (v) => v / 255), 1);
    const argmax = p.indexOf(Math.max(...p));
    assert.deepStrictEqual(as3.lenet, {
      label: argmax,
      target: argmax === 3,
      p: Math.round(p[3] * 1e6) / 1e6,
    });
    // Judged as a 5: nobody calls the target, whatever they see.
    const as5 = await judge(levels, 5);
    assert.deepStrictEqual([as5.nearest.target, as5.plausible.target], [false, false]);
    // The yardstick's blind spot: a blank image is as near to the thinnest training 1s as real
    // digits are to theirs, so it passes as a plausible 1 (and as nothing else). Plausibility
    // says "looks like some real digit", the classifier judges say which.
    const blank = await judge(new Uint8Array(784), 1);
    assert.deepStrictEqual([blank.nearest.label, blank.plausible.target], [1, true]);
    assert.strictEqual((await judge(new Uint8Array(784), 0)).plausible.target, false);
  },
});

Deno.test("a judge that takes part in the search, or a generator asked for digits, is a config error", () => {
  const error = (config: Record<string, unknown>) => {
    try {
      parseConfig({ name: "x", ...config }, "x.json");
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("no error");
  };
  assert.match(
    error({ judges: ["cnn", "nearest"] }),
    /"judges\[0\]" is "cnn", which the search asks: a judge must take no part in the search/,
  );
  assert.match(
    error({ objective: { name: "margin", models: ["cnn", "lenet"] }, judges: ["mean", "lenet"] }),
    /"judges\[1\]" is "lenet", which the search asks/,
  );
  assert.match(error({ objective: { name: "margin", models: ["vae"] } }), /objective/);
  assert.match(
    error({ model: "vae" }),
    /"model" must be one of "softmax", "cnn", .*received "vae"/,
  );
  assert.match(error({ judges: ["vae"] }), /judges/);
  assert.match(error({ judges: ["nearest", "nearest"] }), /"judges" must not repeat a judge/);
  assert.match(
    error({ strategy: { name: "latent", decoder: "cnn" } }),
    /"strategy.decoder" must be one of "vae", received "cnn"/,
  );
  assert.match(error({ judges: ["nearst"] }), /judges/);
});

Deno.test({
  ...opts,
  name:
    "the command line runs an ensemble through a latent space, judged, resumes, and reports the transfer table",
  fn: async () => {
    for (const m of ["cnn", "mlp", "lenet", "vae"] as const) await tinyModel(m);
    await pixelJudges();
    const dir = await scratch("cli-judged");
    await Deno.copyFile(`${TMP}/pixel-reference.json`, `${TEST_MODELS_DIR}/mnist-reference.json`);
    const config = `${dir}/judged.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        name: "judged",
        digits: [1, 7],
        seeds: 2,
        target: 0.9,
        maxIterations: 60,
        patience: 30,
        strategy: { name: "latent", candidates: 8 },
        objective: { name: "margin", models: ["cnn", "mlp"] },
        judges: ["lenet", "nearest", "mean", "plausible"],
      }),
    );
    const args = [config, "--results-dir", `${dir}/results`, "--models-dir", TEST_MODELS_DIR];
    const first = await runCli("cli/experiment.ts", args);
    assert.strictEqual(first.code, 0, first.stderr);
    const { records } = await readRecords(`${dir}/results/judged/runs.jsonl`);
    assert.strictEqual(records.length, 4);
    for (const r of records) {
      assert.deepStrictEqual(Object.keys(r.judges!), ["lenet", "nearest", "mean", "plausible"]);
      assert.deepStrictEqual(Object.keys(r.modelConfidences!), ["cnn", "mlp"]);
    }
    const stored = JSON.parse(await Deno.readTextFile(`${dir}/results/judged/config.json`));
    assert.deepStrictEqual(Object.keys(stored.otherModels).sort(), ["lenet", "mlp", "vae"]);
    const report = await Deno.readTextFile(`${dir}/results/judged/report.md`);
    assert.match(report, /## Judges/);
    assert.match(
      report,
      /\| latent es \(vae\), 8 per step, margin, min of cnn \+ mlp \| plausible \| \d\/4/,
    );
    assert.ok(await Deno.stat(`${dir}/results/judged/distances.svg`));
    // A judge that is the search model's own file under another name: exit 2, nothing run.
    const twin = `${dir}/twin.json`;
    await Deno.writeTextFile(
      twin,
      JSON.stringify({
        name: "twin",
        digits: [1],
        seeds: 1,
        strategy: { name: "latent" },
        judges: [{ onnx: `${TEST_MODELS_DIR}/cnn.onnx` }],
      }),
    );
    const refused = await runCli("cli/experiment.ts", [twin, ...args.slice(1)]);
    assert.strictEqual(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /is the same file as the search model cnn: a judge must take no part/,
    );
    assert.ok(!(await exists(`${dir}/results/twin/runs.jsonl`)));
    // A second run resumes: nothing to do, the same records.
    const again = await runCli("cli/experiment.ts", args);
    assert.strictEqual(again.code, 0, again.stderr);
    assert.match(again.stderr, /Resumed: 4 cell\(s\) were already done, 0 ran now/);
    assert.deepStrictEqual(
      (await readRecords(`${dir}/results/judged/runs.jsonl`)).records,
      records,
    );
  },
});
