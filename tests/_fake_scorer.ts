/** A deterministic stand-in for a network: softmax over 10 seeded random pixel templates. */

import { createPrng } from "../common/prng.ts";
import type { DecodeFn, ScoreFn, Scoring } from "../experiments/search/search.ts";

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

/** A deterministic stand-in for a decoder: pixels = sigmoid(W z − 2) with seeded W (784 × dim). */
export function fakeDecoder(seed = 1, dim = 8): DecodeFn {
  const prng = createPrng(seed);
  const weights = Float64Array.from({ length: 784 * dim }, () => 3 * (2 * prng.next() - 1));
  return (latents, count) => {
    const out = new Float32Array(count * 784);
    for (let n = 0; n < count; n++) {
      for (let i = 0; i < 784; i++) {
        let s = -2;
        for (let j = 0; j < dim; j++) s += weights[i * dim + j] * latents[n * dim + j];
        out[n * 784 + i] = 1 / (1 + Math.exp(-s));
      }
    }
    return Promise.resolve(out);
  };
}

/**
 * A fake {@linkcode Scoring}: the config's model and any named models are fake scorers of
 * their own seeds (the config's: seed 1, as `fakeScorer()`), and "vae" a fake decoder.
 */
export function fakeScoring(): Scoring & { calls: { model: string; count: number }[] } {
  const scorers = new Map<string, ScoreFn>();
  const decoder = fakeDecoder();
  const calls: { model: string; count: number }[] = [];
  const seedOf = (
    model: string,
  ) => (model === "" ? 1 : 2 + [...model].reduce((a, c) => a + c.charCodeAt(0), 0));
  return {
    calls,
    score(model, images, count) {
      calls.push({ model, count });
      if (!scorers.has(model)) scorers.set(model, fakeScorer(seedOf(model)));
      return scorers.get(model)!(images, count);
    },
    decode(name, latents, count) {
      if (name !== "vae") throw new Error(`no fake decoder "${name}"`);
      calls.push({ model: name, count });
      return decoder(latents, count);
    },
  };
}
