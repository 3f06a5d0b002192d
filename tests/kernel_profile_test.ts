/** bench:train --ops: the kernels of one training step, counted and timed. */

import assert from "node:assert/strict";
import { useBackend } from "../train/backend.ts";
import { installFastGradients } from "../train/fast_gradients.ts";
import { loadMnist } from "../common/mnist.ts";
import { profileTrainingKernels } from "../train/kernel_profile.ts";

Deno.test({
  name: "profileTrainingKernels() lists the CNN step's kernels with their calls, most costly first",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const data = await loadMnist("train", { limit: 24 });
    const rows = await profileTrainingKernels(data, { batch: 8, steps: 2 });
    const calls = Object.fromEntries(rows.map((r) => [r.kernel, r.calls]));
    // Two convolutions forward, and through the fast gradients each backward pass is a conv2d
    // too (the first layer needs no input gradient): 5 per step, as in the README's table.
    assert.strictEqual(calls.Conv2D, 5);
    assert.strictEqual(calls.MaxPoolGrad, 2);
    assert.strictEqual(calls.MaxPool, 2);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].ms >= rows[i].ms);
    assert.ok(rows.every((r) => r.ms >= 0 && Number.isFinite(r.ms)));
    assert.strictEqual(rows.find((r) => r.kernel === "MaxPoolGrad")?.shape, "8×28×28×32");
  },
});

Deno.test({
  name:
    "profileTrainingKernels() of a worker's step: the same convolutions, no MaxPoolGrad, no Adam kernels but one JavaScript step",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await useBackend("wasm");
    installFastGradients();
    const data = await loadMnist("train", { limit: 24 });
    const rows = await profileTrainingKernels(data, { batch: 8, steps: 2, path: "worker" });
    const calls = Object.fromEntries(rows.map((r) => [r.kernel, r.calls]));
    assert.strictEqual(calls.Conv2D, 5);
    assert.strictEqual(calls.MaxPool, 2);
    assert.strictEqual(calls.MaxPoolGrad, undefined);
    assert.strictEqual(calls.Sqrt, undefined, "Adam's element-wise kernels are gone");
    assert.strictEqual(calls["Adam (JavaScript)"], 1);
    assert.strictEqual(rows.find((r) => r.kernel === "Adam (JavaScript)")?.shape, "3274634");
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1].ms >= rows[i].ms);
  },
});
