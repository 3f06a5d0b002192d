/** Tests of the ONNX export: graph structure, validity, FLOPs, parity with tfjs. */

import assert from "node:assert/strict";
import onnxProto from "onnx-proto";
import { loadMnist } from "../common/mnist.ts";
import { loadTfjsModel } from "../train/artifacts.ts";
import { useBackend } from "../train/backend.ts";
import { predictProbabilities } from "../train/train.ts";
import { validateOnnx } from "../train/onnx_validate.ts";
import { ONNX_IR_VERSION, ONNX_OPSET } from "../train/export_onnx.ts";
import { createScorer } from "../infer/providers.ts";
import { countFlops } from "../infer/flops.ts";
import { maxAbsDiff } from "./_helpers.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const { onnx } = onnxProto;
const opts = { sanitizeOps: false, sanitizeResources: false };

async function decoded(name: "cnn" | "softmax") {
  await tinyModel(name);
  const bytes = await Deno.readFile(`${TEST_MODELS_DIR}/${name}.onnx`);
  return { bytes, model: onnx.ModelProto.decode(bytes) };
}

Deno.test({
  ...opts,
  name: "exportOnnx() writes the CNN as NHWC→NCHW convs, NHWC flatten, two Gemms and a softmax",
  fn: async () => {
    const { model } = await decoded("cnn");
    const graph = model.graph!;
    assert.deepStrictEqual(graph.node!.map((n) => n.opType), [
      "Transpose",
      "Conv",
      "Relu",
      "MaxPool",
      "Conv",
      "Relu",
      "MaxPool",
      "Transpose",
      "Flatten",
      "Gemm",
      "Relu",
      "Gemm",
      "Softmax",
    ]);
    assert.deepStrictEqual(
      graph.initializer!.map((t) => `${t.name}:${t.dims!.join("x")}`),
      [
        "conv1.weight:32x1x5x5",
        "conv1.bias:32",
        "conv2.weight:64x32x5x5",
        "conv2.bias:64",
        "fc1.weight:3136x1024",
        "fc1.bias:1024",
        "fc2.weight:1024x10",
        "fc2.bias:10",
      ],
    );
    const dims = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    assert.deepStrictEqual(graph.input!.map((v) => [v.name, dims(v)]), [["image", [
      "N",
      28,
      28,
      1,
    ]]]);
    assert.deepStrictEqual(graph.output!.map((v) => [v.name, dims(v)]), [["probabilities", [
      "N",
      10,
    ]]]);
    const conv = graph.node![1];
    assert.deepStrictEqual(
      Object.fromEntries(conv.attribute!.map((a) => [a.name, a.ints!.map(Number)])),
      { kernel_shape: [5, 5], strides: [1, 1], dilations: [1, 1], pads: [2, 2, 2, 2] },
    );
    assert.strictEqual(Number(model.irVersion), ONNX_IR_VERSION);
    assert.deepStrictEqual(
      model.opsetImport!.map((o) => [o.domain, Number(o.version)]),
      [["", ONNX_OPSET]],
    );
    assert.strictEqual(model.producerName, "identikit");
    assert.deepStrictEqual(
      Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value])),
      { testAccuracy: "0", seed: "5" },
    );
  },
});

Deno.test({
  ...opts,
  name: "the exported graphs pass structural validation; a broken graph does not",
  fn: async () => {
    for (const name of ["cnn", "softmax"] as const) {
      assert.deepStrictEqual(validateOnnx((await decoded(name)).bytes), []);
    }
    const { model } = await decoded("softmax");
    model.graph!.node!.reverse(); // Softmax before the Gemm that feeds it.
    model.graph!.initializer![0].dims = [3, 3];
    const problems = validateOnnx(onnx.ModelProto.encode(model).finish());
    assert.ok(
      problems.some((p) => /input "gemm_\d+" is not defined before use/.test(p)),
      problems.join("; "),
    );
    assert.ok(
      problems.some((p) => /has 7840 elements, dims 3×3 need 9/.test(p)),
      problems.join("; "),
    );
  },
});

Deno.test({
  ...opts,
  name: "countFlops() counts the tutorial CNN at 27.8 MFLOP per image, node by node",
  fn: async () => {
    const { bytes } = await decoded("cnn");
    const { total, nodes } = countFlops(bytes);
    const conv1 = 2 * 1 * 25 * 32 * 784 + 32 * 784, conv2 = 2 * 32 * 25 * 64 * 196 + 64 * 196;
    const fc1 = 2 * 3136 * 1024 + 1024, fc2 = 2 * 1024 * 10 + 10;
    const elementwise = 25088 /* relu1 */ + 4 * 6272 /* pool1 */ + 12544 + 4 * 3136 + 1024 + 30;
    assert.strictEqual(total, conv1 + conv2 + fc1 + fc2 + elementwise);
    assert.ok(Math.abs(total / 1e6 - 27.9) < 0.1, `${total}`);
    assert.deepStrictEqual(nodes.at(-1)!.outputShape, [1, 10]);
  },
});

Deno.test({
  ...opts,
  name: "parity: onnxruntime (node-cpu, web-wasm) matches tfjs on 256 real test images within 1e-5",
  fn: async () => {
    await tinyModel("cnn");
    await useBackend("wasm");
    const test = await loadMnist("test", { limit: 256 });
    const tfjsModel = await loadTfjsModel(`${TEST_MODELS_DIR}/cnn.tfjs`);
    const reference = predictProbabilities(tfjsModel, test);
    tfjsModel.dispose();
    for (const provider of ["node-cpu", "web-wasm"] as const) {
      const scorer = await createScorer(provider, `${TEST_MODELS_DIR}/cnn.onnx`);
      const probs = await scorer.score(test.images, 256);
      await scorer.close();
      const diff = maxAbsDiff(probs, reference);
      console.log(`  ${provider}: max |p_onnx − p_tfjs| = ${diff.toExponential(2)}`);
      assert.ok(diff <= 1e-5, `${provider}: ${diff}`);
    }
  },
});
