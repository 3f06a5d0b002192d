/** Tests of the seeded PRNG and seed derivation. */

import assert from "node:assert/strict";
import { createPrng, deriveSeed, shuffleInPlace } from "../common/prng.ts";

Deno.test("createPrng() gives the same stream for the same seed, exactly", () => {
  const a = createPrng(42), b = createPrng(42);
  const xs = Array.from({ length: 5 }, () => a.nextUint32());
  assert.deepStrictEqual(xs, Array.from({ length: 5 }, () => b.nextUint32()));
  assert.deepStrictEqual(xs, [1028872839, 2516511472, 400437680, 853279530, 1920286840]);
});

Deno.test("createPrng() streams of neighbouring seeds differ", () => {
  const a = createPrng(1), b = createPrng(2);
  const same = Array.from({ length: 100 }, () => a.nextUint32() === b.nextUint32()).filter(Boolean);
  assert.strictEqual(same.length, 0);
});

Deno.test("createPrng().next() is uniform on [0, 1)", () => {
  const prng = createPrng(7);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) {
    const x = prng.next();
    assert.ok(x >= 0 && x < 1);
    bins[Math.floor(x * 10)]++;
  }
  // Each bin holds 10,000 ± 5 σ (σ ≈ 95).
  for (const n of bins) assert.ok(Math.abs(n - 10000) < 475, `bin count ${n}`);
});

Deno.test("createPrng() rejects a non-integer seed", () => {
  assert.throws(() => createPrng(1.5), {
    name: "TypeError",
    message: "Cannot create PRNG: seed must be an integer, received 1.5",
  });
});

Deno.test("deriveSeed() depends on every coordinate and on their order", () => {
  assert.strictEqual(deriveSeed("cell", 7, 3, 500), deriveSeed("cell", 7, 3, 500));
  const seeds = new Set([
    deriveSeed("cell", 7, 3, 500),
    deriveSeed("cell", 3, 7, 500),
    deriveSeed("cell", 7, 3, 50),
    deriveSeed("cell", 73, 500),
    deriveSeed("cell", 7, 35, 0),
  ]);
  assert.strictEqual(seeds.size, 5);
});

Deno.test("shuffleInPlace() is a seeded permutation", () => {
  const a = shuffleInPlace([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], createPrng(3));
  assert.deepStrictEqual([...a].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepStrictEqual(a, shuffleInPlace([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], createPrng(3)));
});
