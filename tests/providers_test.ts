/** Tests of the execution providers: names, errors, chunking, serialization. */

import assert from "node:assert/strict";
import { TMP } from "./_helpers.ts";
import onnxProto from "onnx-proto";
import { FileFormatError, UnavailableError, UsageError } from "../common/errors.ts";
import { exists } from "../common/files.ts";
import { loadMnist } from "../common/mnist.ts";
import { createScorer, ORT_NODE_BIN_DIR } from "../infer/providers.ts";
import { parseProviderName, PROVIDER_NAMES, PROVIDERS } from "../common/provider_names.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("parseProviderName() rejects an unknown name, listing the valid ones", () => {
  assert.throws(() => parseProviderName("gpu"), (error: unknown) => {
    if (!(error instanceof UsageError)) return false;
    assert.strictEqual(
      error.message,
      'Unknown provider "gpu": valid providers are "node-cpu", "node-cuda", "web-wasm", "web-webgpu"',
    );
    return true;
  });
  assert.deepStrictEqual(PROVIDER_NAMES, ["node-cpu", "node-cuda", "web-wasm", "web-webgpu"]);
  assert.ok(Object.isFrozen(PROVIDERS));
});

Deno.test({
  ...opts,
  name: "node-cuda without its CUDA binaries is an error saying why and how to fix it",
  ignore: await exists(`${ORT_NODE_BIN_DIR}/libonnxruntime_providers_cuda.so`),
  fn: async () => {
    await tinyModel("softmax");
    await assert.rejects(
      createScorer("node-cuda", `${TEST_MODELS_DIR}/softmax.onnx`),
      (error: unknown) => {
        if (!(error instanceof UnavailableError)) return false;
        assert.match(
          error.message,
          /^Provider "node-cuda" cannot start: onnxruntime-node's CUDA binaries are not installed \(.*libonnxruntime_providers_cuda\.so is missing\)$/,
        );
        assert.match(error.hint ?? "", /deno task setup:cuda/);
        assert.match(error.hint ?? "", /CUDA 12 and cuDNN 9/);
        return true;
      },
    );
  },
});

Deno.test("createScorer() explains a missing model file", async () => {
  await assert.rejects(createScorer("node-cpu", `${TMP}/nonexistent/cnn.onnx`), {
    name: "UsageError",
    message: `Cannot open the model: ${TMP}/nonexistent/cnn.onnx does not exist`,
  });
});

Deno.test({
  ...opts,
  name: "score() chunks large batches without changing a single probability",
  fn: async () => {
    await tinyModel("cnn");
    const test = await loadMnist("test", { limit: 50 });
    const whole = await createScorer("node-cpu", `${TEST_MODELS_DIR}/cnn.onnx`);
    const chunked = await createScorer("node-cpu", `${TEST_MODELS_DIR}/cnn.onnx`, { maxBatch: 7 });
    const a = await whole.score(test.images, 50), b = await chunked.score(test.images, 50);
    await whole.close();
    await chunked.close();
    assert.strictEqual(a.length, 500);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    // Batch size may change the kernels' blocking, not the answer beyond float rounding.
    assert.ok(maxDiff <= 1e-6, `${maxDiff}`);
    await assert.rejects(whole.score(test.images, 51), { name: "RangeError" });
  },
});

Deno.test({
  ...opts,
  name: "web-wasm serializes concurrent score() calls and answers each correctly",
  fn: async () => {
    await tinyModel("softmax");
    const test = await loadMnist("test", { limit: 40 });
    const scorer = await createScorer("web-wasm", `${TEST_MODELS_DIR}/softmax.onnx`);
    const first = test.images.subarray(0, 20 * 784), second = test.images.subarray(20 * 784);
    const sequential = [await scorer.score(first, 20), await scorer.score(second, 20)];
    const concurrent = await Promise.all([scorer.score(first, 20), scorer.score(second, 20)]);
    await scorer.close();
    assert.deepStrictEqual(concurrent, sequential);
  },
});

Deno.test({
  ...opts,
  name: "web-webgpu without a GPU adapter (or without navigator.gpu) is an error saying why",
  fn: async () => {
    await tinyModel("softmax");
    const model = `${TEST_MODELS_DIR}/softmax.onnx`;
    const shadow = (gpu: unknown) =>
      Object.defineProperty(navigator, "gpu", { value: gpu, configurable: true });
    try {
      shadow({ requestAdapter: () => Promise.resolve(null) });
      await assert.rejects(createScorer("web-webgpu", model), (error: unknown) => {
        if (!(error instanceof UnavailableError)) return false;
        assert.strictEqual(
          error.message,
          'Provider "web-webgpu" cannot start: no GPU adapter was found',
        );
        assert.match(error.hint ?? "", /Vulkan/);
        return true;
      });
      shadow(undefined);
      await assert.rejects(createScorer("web-webgpu", model), {
        name: "UnavailableError",
        message: 'Provider "web-webgpu" cannot start: this Deno has no navigator.gpu',
      });
    } finally {
      delete (navigator as unknown as Record<string, unknown>).gpu;
    }
  },
});

Deno.test({
  ...opts,
  name: "a scorer refuses a bad maxBatch, and NaN probabilities name the provider and the image",
  fn: async () => {
    await tinyModel("softmax");
    for (const maxBatch of [0, -3, NaN, 2.5]) {
      await assert.rejects(
        createScorer("node-cpu", `${TEST_MODELS_DIR}/softmax.onnx`, { maxBatch }),
        { name: "RangeError", message: /maxBatch must be a positive integer, received/ },
      );
    }
    const scorer = await createScorer("node-cpu", `${TEST_MODELS_DIR}/softmax.onnx`, {
      maxBatch: 4,
    });
    try {
      const images = new Float32Array(6 * 784);
      images[5 * 784 + 100] = NaN; // image 5: the second chunk's image 1
      await assert.rejects(scorer.score(images, 6), {
        message: /^node-cpu \(images 4–5 of 6\) returned NaN for image 1 of the batch/,
      });
    } finally {
      await scorer.close();
    }
  },
});

/** The tiny softmax export with one of its value infos changed. */
async function alteredModel(
  change: (model: onnxProto.onnx.ModelProto) => void,
): Promise<Uint8Array> {
  await tinyModel("softmax");
  const model = onnxProto.onnx.ModelProto.decode(
    await Deno.readFile(`${TEST_MODELS_DIR}/softmax.onnx`),
  );
  change(model);
  return onnxProto.onnx.ModelProto.encode(model).finish();
}

Deno.test({
  ...opts,
  name: "a damaged ONNX file is bad input naming the file; a model of another shape is refused",
  fn: async () => {
    await tinyModel("softmax");
    const good = await Deno.readFile(`${TEST_MODELS_DIR}/softmax.onnx`);
    for (const bytes of [good.subarray(0, 1000), new Uint8Array(64).fill(0xff)]) {
      await assert.rejects(
        createScorer("node-cpu", bytes, { source: "models/cnn.onnx" }),
        (error: unknown) => {
          assert.ok(error instanceof FileFormatError, String(error));
          assert.match(
            error.message,
            /^Cannot open models\/cnn.onnx: it is not a readable ONNX file/,
          );
          assert.match(error.hint ?? "", /damaged or truncated.*deno task export/);
          return true;
        },
      );
    }
    const thousand = await alteredModel((m) => {
      m.graph!.output![0].type!.tensorType!.shape!.dim![1].dimValue = 1000;
    });
    await assert.rejects(createScorer("node-cpu", thousand, { source: "m.onnx" }), {
      name: "UsageError",
      message:
        'Cannot use m.onnx: its output "probabilities" is float32 [N, 1000]; expected float32 [N, 10] (ten digit classes per image)',
    });
    const nchw = await alteredModel((m) => {
      const dims = m.graph!.input![0].type!.tensorType!.shape!.dim!;
      dims[1].dimValue = 1;
      dims[3].dimValue = 28;
    });
    await assert.rejects(createScorer("web-wasm", nchw, { source: "m.onnx" }), {
      name: "UsageError",
      message:
        'Cannot use m.onnx: its input "image" is float32 [N, 1, 28, 28]; expected float32 [N, 28, 28, 1]',
    });
  },
});
