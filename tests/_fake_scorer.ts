/** A deterministic stand-in for a network: softmax over 10 seeded random pixel templates. */

import { createPrng } from "../common/prng.ts";
import type { ScoreFn } from "../experiments/search.ts";

/** Scores with logits_k = sharpness × ⟨template_k, image⟩ / 784. Pure and exact. */
export function fakeScorer(seed = 1, sharpness = 40): ScoreFn & { calls: number[] } {
  const prng = createPrng(seed);
  const templates = Float64Array.from({ length: 10 * 784 }, () => 2 * prng.next() - 1);
  const calls: number[] = [];
  const score = (images: Float32Array, count: number): Promise<Float32Array> => {
    calls.push(count);
    const out = new Float32Array(count * 10);
    for (let n = 0; n < count; n++) {
      const logits = new Float64Array(10);
      for (let k = 0; k < 10; k++) {
        let s = 0;
        for (let i = 0; i < 784; i++) s += templates[k * 784 + i] * images[n * 784 + i];
        logits[k] = (sharpness * s) / 784;
      }
      const max = Math.max(...logits);
      let z = 0;
      for (let k = 0; k < 10; k++) z += Math.exp(logits[k] - max);
      for (let k = 0; k < 10; k++) out[n * 10 + k] = Math.exp(logits[k] - max) / z;
    }
    return Promise.resolve(out);
  };
  return Object.assign(score, { calls });
}
