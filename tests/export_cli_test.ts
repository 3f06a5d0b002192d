/** `deno task export`: the parity gate decides whether models/<m>.onnx is replaced. */

import assert from "node:assert/strict";
import { sha256Hex } from "../common/files.ts";
import { compareParity, PARITY_MAX_DIFF } from "../cli/_export_checked.ts";
import { scratch } from "./_helpers.ts";
import { runCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A models folder holding the tiny softmax's tfjs weights and metadata, and a stale .onnx. */
async function modelsWithStaleOnnx(name: string): Promise<string> {
  await tinyModel("softmax");
  const dir = await scratch(name);
  await Deno.mkdir(`${dir}/softmax.tfjs`, { recursive: true });
  for (const f of ["model.json", "weights.bin"]) {
    await Deno.copyFile(`${TEST_MODELS_DIR}/softmax.tfjs/${f}`, `${dir}/softmax.tfjs/${f}`);
  }
  await Deno.writeTextFile(
    `${dir}/softmax.json`,
    JSON.stringify({ model: "softmax", seed: 5, sha256: { onnx: "stale" } }),
  );
  await Deno.writeTextFile(`${dir}/softmax.onnx`, "the old model");
  return dir;
}

const exportArgs = (dir: string, ...more: string[]) => [
  "--model",
  "softmax",
  "--models-dir",
  dir,
  ...more,
];

Deno.test({
  ...opts,
  name: "export replaces the .onnx and its sha256 only after parity on all 10,000 test images",
  fn: async () => {
    const dir = await modelsWithStaleOnnx("export-ok");
    const { code, stdout, stderr } = await runCli("cli/export.ts", exportArgs(dir));
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /Parity on the 10000 test images: argmax differs on 0, max \|p_onnx − p_tfjs\| = \S+ \(allowed 1e-5\)/,
    );
    const bytes = await Deno.readFile(`${dir}/softmax.onnx`);
    assert.notEqual(new TextDecoder().decode(bytes), "the old model");
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/softmax.json`));
    assert.equal(meta.sha256.onnx, await sha256Hex(bytes));
    assert.equal(meta.seed, 5);
    // Nothing temporary is left beside the model.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["softmax.json", "softmax.onnx", "softmax.tfjs"]);
  },
});

Deno.test({
  ...opts,
  name: "a failed parity check exits 1 and leaves the old .onnx and .json untouched",
  fn: async () => {
    const dir = await modelsWithStaleOnnx("export-fail");
    const before = await Deno.readTextFile(`${dir}/softmax.json`);
    // The tiny softmax differs by about 1e-6 between tfjs and onnxruntime: 1e-9 cannot hold.
    const { code, stdout, stderr } = await runCli(
      "cli/export.ts",
      exportArgs(dir, "--max-diff", "1e-9"),
    );
    assert.equal(code, 1, stderr);
    assert.match(stdout, /allowed 1e-9/);
    assert.match(stderr, /does not match the tfjs model; .*softmax\.onnx was left as it was/);
    assert.equal(await Deno.readTextFile(`${dir}/softmax.onnx`), "the old model");
    assert.equal(await Deno.readTextFile(`${dir}/softmax.json`), before);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["softmax.json", "softmax.onnx", "softmax.tfjs"]);
  },
});

Deno.test({
  ...opts,
  name: "export refuses a bad --max-diff with exit 2",
  fn: async () => {
    const dir = await modelsWithStaleOnnx("export-bad-flag");
    const { code, stderr } = await runCli("cli/export.ts", exportArgs(dir, "--max-diff", "x"));
    assert.equal(code, 2);
    assert.match(stderr, /--max-diff must be a number ≥ 0, got "x"/);
    assert.equal(await Deno.readTextFile(`${dir}/softmax.onnx`), "the old model");
  },
});

Deno.test("compareParity() counts argmax flips, forgives near-ties, and fails on NaN", () => {
  const labels = [0, 1];
  const ref = new Float32Array(20);
  ref[0] = 0.9, ref[1] = 0.1; // image 0: clearly class 0
  ref[10] = 0.5, ref[11] = 0.5 - 1e-6; // image 1: a near-tie of classes 0 and 1
  const same = compareParity(ref, ref, labels);
  assert.deepEqual(
    { ...same, onnxAccuracy: undefined },
    {
      images: 2,
      argmaxMismatches: 0,
      nearTies: 0,
      maxDiff: 0,
      maxDiffAllowed: PARITY_MAX_DIFF,
      onnxAccuracy: undefined,
      ok: true,
    },
  );
  const tie = ref.slice();
  tie[10] = 0.5 - 2e-6, tie[11] = 0.5; // the near-tie swaps within tolerance
  const t = compareParity(tie, ref, labels);
  assert.equal(t.nearTies, 1);
  assert.equal(t.argmaxMismatches, 0);
  assert.ok(t.ok);
  const flip = ref.slice();
  flip[0] = 0.1, flip[1] = 0.9; // a real disagreement
  const f = compareParity(flip, ref, labels);
  assert.equal(f.argmaxMismatches, 1);
  assert.ok(!f.ok);
  const nan = ref.slice();
  nan[5] = NaN;
  const n = compareParity(nan, ref, labels);
  assert.ok(Number.isNaN(n.maxDiff));
  assert.ok(!n.ok);
  assert.throws(() => compareParity(ref.slice(0, 10), ref, labels), RangeError);
});
