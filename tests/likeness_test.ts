/** Tests of the within-class likeness measure against its pairwise definition. */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import { correlation, measureLikeness } from "../experiments/analysis/likeness.ts";

/** The definition, pair by pair: what the linear-time formula must equal. */
function bruteForce(images: { digit: number; pixels: Uint8Array }[]) {
  let w = 0, nw = 0, a = 0, na = 0;
  for (let i = 0; i < images.length; i++) {
    for (let j = i + 1; j < images.length; j++) {
      const r = correlation(images[i].pixels, images[j].pixels);
      if (images[i].digit === images[j].digit) [w, nw] = [w + r, nw + 1];
      else [a, na] = [a + r, na + 1];
    }
  }
  return { within: w / nw, across: a / na, pairsWithin: nw, pairsAcross: na };
}

Deno.test("measureLikeness() equals the pairwise mean correlations (within 1e-12)", () => {
  const prng = createPrng(4);
  // Three "digits" whose images share a template plus noise, and one constant image.
  const templates = [0, 1, 2].map(() => Uint8Array.from({ length: 784 }, () => prng.nextInt(256)));
  const images = [];
  for (let n = 0; n < 24; n++) {
    const digit = n % 3;
    images.push({
      digit,
      pixels: Uint8Array.from(
        templates[digit],
        (v) => Math.min(255, Math.max(0, v + prng.nextInt(161) - 80)),
      ),
    });
  }
  images.push({ digit: 1, pixels: new Uint8Array(784).fill(7) });
  const fast = measureLikeness(images), slow = bruteForce(images);
  assert.deepStrictEqual([fast.pairsWithin, fast.pairsAcross], [
    slow.pairsWithin,
    slow.pairsAcross,
  ]);
  assert.ok(Math.abs(fast.within - slow.within) < 1e-12, `${fast.within} vs ${slow.within}`);
  assert.ok(Math.abs(fast.across - slow.across) < 1e-12, `${fast.across} vs ${slow.across}`);
  assert.ok(
    fast.within > 0.5 && Math.abs(fast.across) < 0.1,
    "shared templates make within ≫ across",
  );
  assert.deepStrictEqual(fast.digits.map((d) => d.images), [8, 9, 8]);
});

Deno.test("correlation() is 1 for an image with itself and 0 against a constant image", () => {
  const a = Uint8Array.from({ length: 784 }, (_, i) => i % 256);
  assert.ok(Math.abs(correlation(a, a) - 1) < 1e-12);
  assert.strictEqual(correlation(a, new Uint8Array(784).fill(3)), 0);
});
