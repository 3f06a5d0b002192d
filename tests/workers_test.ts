/** The default worker count: the same on every machine, so the same command trains the same model. */

import assert from "node:assert/strict";
import { coreCount, defaultWorkersFor, MIN_SLICE } from "../train/workers.ts";
import { MODEL_NAMES, TRAINING_DEFAULTS } from "../common/model_names.ts";

/** Runs `fn` with `navigator.hardwareConcurrency` reading `cores`. */
function withCores<T>(cores: number, fn: () => T): T {
  Object.defineProperty(navigator, "hardwareConcurrency", { value: cores, configurable: true });
  try {
    return fn();
  } finally {
    // The own property shadowed the prototype's getter; removing it restores the real count.
    delete (navigator as unknown as Record<string, unknown>).hardwareConcurrency;
  }
}

Deno.test("defaultWorkersFor() gives every model the same count on 1, 2, 4 and 16 cores", () => {
  const table = (cores: number) =>
    withCores(cores, () => {
      assert.strictEqual(coreCount(), cores, "the stub took");
      return MODEL_NAMES.map((m) => [m, defaultWorkersFor(m, TRAINING_DEFAULTS[m].batchSize)]);
    });
  // The README's models were trained on 2 workers: the CNNs' default stays that count, but
  // cnn-w1, whose recipe is the main thread (the first regime map's model).
  const expected = MODEL_NAMES.map((m) => [
    m,
    m === "cnn-w1" ? 1 : TRAINING_DEFAULTS[m].architecture === "cnn" ? 2 : 1,
  ]);
  for (const cores of [1, 2, 4, 16]) {
    assert.deepStrictEqual(table(cores), expected, `${cores} cores`);
  }
  assert.ok(navigator.hardwareConcurrency >= 1, "the real count is back");
});

Deno.test("defaultWorkersFor() still gives each worker at least MIN_SLICE images of a batch", () => {
  withCores(16, () => {
    assert.strictEqual(defaultWorkersFor("cnn", 2 * MIN_SLICE - 1), 1);
    assert.strictEqual(defaultWorkersFor("cnn", 2 * MIN_SLICE), 2);
    assert.strictEqual(defaultWorkersFor("cnn", 1), 1);
    assert.strictEqual(defaultWorkersFor("cnn-tutorial", 50), 2);
    assert.strictEqual(defaultWorkersFor("cnn-w1", 64), 1);
    assert.strictEqual(defaultWorkersFor("vae", 100), 1);
    assert.strictEqual(defaultWorkersFor("lenet", 64), 1);
  });
});
