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

Deno.test("getState() is four unsigned words at every draw, and setState() continues the stream", () => {
  // The first word is an XOR, which JavaScript keeps signed: a checkpoint once saved it
  // negative and could not be resumed.
  const prng = createPrng(1);
  for (let i = 0; i < 200; i++) {
    const state = prng.getState();
    assert.ok(state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32), `draw ${i}`);
    const copy = createPrng(99);
    copy.setState(state);
    assert.strictEqual(copy.nextUint32(), createPrngAt(1, i + 1).nextUint32(), `draw ${i}`);
    prng.nextUint32();
  }
});

Deno.test("setState() accepts the signed words older checkpoints hold", () => {
  const reference = createPrng(3);
  reference.nextUint32();
  const [a, b, c, d] = reference.getState();
  const signed = createPrng(5);
  signed.setState([a | 0, b, c, d]);
  assert.deepStrictEqual(signed.getState(), [a, b, c, d]);
  assert.strictEqual(signed.nextUint32(), reference.nextUint32());
  assert.throws(() => signed.setState([-(2 ** 31) - 1, b, c, d]), {
    name: "RangeError",
    message: "Cannot restore PRNG: expected 4 unsigned 32-bit words",
  });
});

/** A generator seeded with `seed` that has drawn `draws` numbers. */
function createPrngAt(seed: number, draws: number) {
  const prng = createPrng(seed);
  for (let i = 0; i < draws - 1; i++) prng.nextUint32();
  return prng;
}

Deno.test("createPrng() equals an independent C implementation of sfc32 and its seeding", () => {
  // Printed by tests/testdata/sfc32_reference.c (PractRand's sfc32 in uint32_t arithmetic).
  const draws = (prng: ReturnType<typeof createPrng>, n: number) =>
    Array.from({ length: n }, () => prng.nextUint32());
  const fromState = (state: number[]) => {
    const prng = createPrng(0);
    prng.setState(state);
    return prng;
  };
  assert.deepStrictEqual(draws(fromState([1, 2, 3, 4]), 8), [
    7,
    34,
    56623200,
    188882296,
    3431242869,
    399395954,
    785775158,
    3843710725,
  ]);
  assert.deepStrictEqual(draws(fromState([0xdeadbeef, 0, 0xffffffff, 7]), 8), [
    3735928566,
    4294967295,
    3550197422,
    2836151990,
    3005533594,
    3177636226,
    2282592722,
    3328592560,
  ]);
  assert.deepStrictEqual(draws(createPrng(42), 5), [
    1028872839,
    2516511472,
    400437680,
    853279530,
    1920286840,
  ]);
  assert.deepStrictEqual(draws(createPrng(0), 5), [
    4205396811,
    3543653536,
    1222415357,
    3047368389,
    387095348,
  ]);
  // A seed is taken as an unsigned 32-bit word: −1 and 2³² − 1 are one stream.
  const top = [1413747962, 91561161, 3282502067, 2190738929, 3748440605];
  assert.deepStrictEqual(draws(createPrng(4294967295), 5), top);
  assert.deepStrictEqual(draws(createPrng(-1), 5), top);
  const seven = createPrng(7);
  draws(seven, 1000);
  assert.deepStrictEqual(seven.getState(), [3399160074, 2701752991, 3363781547, 2372218178]);
  // next() is the word over 2³²: 7 / 2³² from state 1 2 3 4.
  assert.strictEqual(fromState([1, 2, 3, 4]).next(), 7 / 4294967296);
});
