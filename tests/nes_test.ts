/**
 * NES's gradient estimate against gradients written down by hand: a quadratic, a softmax of a
 * linear map, and a linear function, with the estimator's own variance as the tolerance; the
 * pixel and latent NES steppers' steps, and the Gaussian noise they draw.
 */

import assert from "node:assert/strict";
import { createPrng } from "../common/prng.ts";
import { antitheticGradient, nes } from "../experiments/search/strategies/nes.ts";
import { latent } from "../experiments/search/strategies/latent.ts";
import { createGaussian, PIXELS } from "../experiments/search/strategies/strategy.ts";

/** `pairs` standard normal vectors of `dim`, row by row, from a seeded PRNG. */
function normalNoise(pairs: number, dim: number, seed: number): Float64Array {
  const gaussian = createGaussian(createPrng(seed));
  return Float64Array.from({ length: pairs * dim }, gaussian);
}

/** f at x + σu_k and x − σu_k for every row u_k of `noise`, interleaved as NES scores them. */
function antitheticValues(
  f: (x: Float64Array) => number,
  x: Float64Array,
  noise: Float64Array,
  sigma: number,
): Float64Array {
  const dim = x.length, pairs = noise.length / dim;
  const values = new Float64Array(2 * pairs), y = new Float64Array(dim);
  for (let k = 0; k < pairs; k++) {
    for (const [j, sign] of [[0, 1], [1, -1]]) {
      for (let i = 0; i < dim; i++) y[i] = x[i] + sign * sigma * noise[k * dim + i];
      values[2 * k + j] = f(y);
    }
  }
  return values;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * How `estimate` differs from `truth`: `along`, its length along the true gradient in units of
 * |∇f|, and `across`, the squared length of its part across the true gradient in units of |∇f|².
 */
function compare(
  estimate: ArrayLike<number>,
  truth: ArrayLike<number>,
): { along: number; across: number; cos: number } {
  const norm2 = dot(truth, truth), along = dot(estimate, truth) / norm2;
  const across = (dot(estimate, estimate) - along * along * norm2) / norm2;
  return { along, across, cos: along / Math.sqrt(along * along + across) };
}

/** A seeded point in [0.2, 0.8]^dim and a seeded centre in [0, 1]^dim. */
function pointAndCentre(dim: number, seed: number): { x: Float64Array; c: Float64Array } {
  const prng = createPrng(seed);
  return {
    x: Float64Array.from({ length: dim }, () => 0.2 + 0.6 * prng.next()),
    c: Float64Array.from({ length: dim }, () => prng.next()),
  };
}

// Why these tolerances. For a quadratic f the antithetic difference is exact,
// f(x + σu) − f(x − σu) = 2σ u·∇f, so with n pairs the estimate is g = (1/n) Σ_k (u_k·∇f) u_k.
// For standard normal u_k: along ∇f, g has length |∇f|(1 ± √(2/n)); across ∇f, given the n
// scalars u_k·∇f, it is Gaussian in d − 1 directions with variance |∇f|²/n each (times
// Σ_k (u_k·∇f)²/(n|∇f|²) = 1 ± √(2/n)), so its squared length is (d − 1)|∇f|²/n times a χ²
// with d − 1 degrees of freedom over d − 1: relative spread √(2/n + 2/(d − 1)). Then
// cos(angle) ≈ 1/√(1 + (d − 1)/n). The bands below are at least 3.5 spreads wide, so a correct
// estimator misses one for about 1 seed in 2,000, while a wrong scale (2, n or σ), a missing
// pair or a swapped sign misses by a factor, not by percents.

/** The across-part's band: (d − 1)/n within ±25 %. */
function assertAcross(across: number, dim: number, pairs: number, what: string): void {
  const expected = (dim - 1) / pairs;
  assert.ok(
    Math.abs(across / expected - 1) < 0.25,
    `${what}: across ${across.toFixed(4)}, expected (d − 1)/n = ${expected.toFixed(4)} ± 25 %`,
  );
}

/** The along-part's band: 1 within 4 standard deviations, 4√(2/n). */
function assertAlong(along: number, pairs: number, what: string): void {
  assert.ok(
    Math.abs(along - 1) < 4 * Math.sqrt(2 / pairs),
    `${what}: along ${along.toFixed(4)}, expected 1 ± ${(4 * Math.sqrt(2 / pairs)).toFixed(3)}`,
  );
}

Deno.test("antitheticGradient() of a quadratic points along the true gradient as closely as its variance allows", () => {
  const dim = PIXELS, sigma = 0.1;
  const { x, c } = pointAndCentre(dim, 1);
  // f(x) = −Σ (x_i − c_i)², so ∇f = −2(x − c).
  const f = (y: Float64Array) => {
    let s = 0;
    for (let i = 0; i < dim; i++) s -= (y[i] - c[i]) ** 2;
    return s;
  };
  const truth = Float64Array.from(x, (v, i) => -2 * (v - c[i]));
  for (const pairs of [1000, 4000]) {
    const noise = normalNoise(pairs, dim, pairs);
    const g = antitheticGradient(antitheticValues(f, x, noise, sigma), noise, { sigma });
    const { along, across, cos } = compare(g, truth);
    assertAlong(along, pairs, `${pairs} pairs`);
    assertAcross(across, dim, pairs, `${pairs} pairs`);
    // 1,000 pairs in 784 dimensions: cos ≈ 0.75; 4,000: cos ≈ 0.91.
    const expectedCos = 1 / Math.sqrt(1 + (dim - 1) / pairs);
    assert.ok(Math.abs(cos - expectedCos) < 0.05, `${pairs} pairs: cos ${cos}, ${expectedCos}`);
  }
});

Deno.test("antitheticGradient() of a softmax of a linear map matches its analytic gradient", () => {
  // f(x) = softmax(Wx)_t, the shape of the search's objective on a one-layer network:
  // ∇f = p_t (W_t − Σ_j p_j W_j).
  const dim = PIXELS, classes = 10, t = 7, sigma = 0.01;
  const prng = createPrng(4);
  const w = Float64Array.from({ length: classes * dim }, () => (2 * prng.next() - 1) / 10);
  const probabilities = (y: Float64Array) => {
    const logits = Array.from(
      { length: classes },
      (_, j) => dot(w.subarray(j * dim, (j + 1) * dim), y),
    );
    const max = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - max));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  const { x } = pointAndCentre(dim, 5);
  const p = probabilities(x);
  const truth = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    let mean = 0;
    for (let j = 0; j < classes; j++) mean += p[j] * w[j * dim + i];
    truth[i] = p[t] * (w[t * dim + i] - mean);
  }
  // Not a quadratic: the antithetic difference is 2σ u·∇f + O(σ³|u|³), small at σ = 0.01,
  // so the quadratic's bands hold.
  const pairs = 2000;
  const noise = normalNoise(pairs, dim, 6);
  const values = antitheticValues((y) => probabilities(y)[t], x, noise, sigma);
  const g = antitheticGradient(values, noise, { sigma });
  const { along, across } = compare(g, truth);
  assertAlong(along, pairs, "softmax");
  assertAcross(across, dim, pairs, "softmax");
});

Deno.test("antitheticGradient() is exact for a linear function on a design with E[uuᵀ] = I, whatever σ", () => {
  // Noise u_k = √d e_k (k = 1…d): Σ_k u_k u_kᵀ / d = I exactly, so for f(x) = a·x + b the
  // estimate is a itself. This pins every factor of the estimator: the 2 of the pair, the n of
  // the mean, the σ of the step, and which of the pair is plus.
  const dim = 16;
  const prng = createPrng(8);
  const a = Float64Array.from({ length: dim }, () => 2 * prng.next() - 1);
  const f = (y: Float64Array) => dot(a, y) + 3;
  const noise = new Float64Array(dim * dim);
  for (let k = 0; k < dim; k++) noise[k * dim + k] = Math.sqrt(dim);
  const x = new Float64Array(dim).fill(0.5);
  for (const sigma of [0.5, 0.1, 1e-3]) {
    const g = antitheticGradient(antitheticValues(f, x, noise, sigma), noise, {
      sigma,
      out: new Float64Array(dim),
    });
    g.forEach((v, i) =>
      assert.ok(Math.abs(v - a[i]) < 1e-9, `σ ${sigma}, i ${i}: ${v} vs ${a[i]}`)
    );
  }
  // On Gaussian noise a linear function's estimate does not depend on σ: the same noise at
  // σ = 0.3 and σ = 0.003 gives the same estimate (to rounding).
  const gaussian = normalNoise(50, dim, 9);
  const at = (sigma: number) =>
    antitheticGradient(antitheticValues(f, x, gaussian, sigma), gaussian, {
      sigma,
      out: new Float64Array(dim),
    });
  const [coarse, fine] = [at(0.3), at(0.003)];
  coarse.forEach((v, i) => assert.ok(Math.abs(v - fine[i]) < 1e-9, `i ${i}`));
});

Deno.test("antitheticGradient() averaged over seeds is unbiased for a linear function", () => {
  // Mean of 400 independent 5-pair estimates = one 2,000-pair estimate: each coordinate is
  // a_i ± √((|a|² + a_i²)/2000) ≈ a_i ± 0.09 here; 4 standard deviations bound every coordinate.
  const dim = 16, pairs = 5, runs = 400, sigma = 0.05;
  const prng = createPrng(10);
  const a = Float64Array.from({ length: dim }, () => 2 * prng.next() - 1);
  const f = (y: Float64Array) => dot(a, y);
  const x = new Float64Array(dim).fill(0.5);
  const mean = new Float64Array(dim);
  for (let r = 0; r < runs; r++) {
    const noise = normalNoise(pairs, dim, 100 + r);
    const g = antitheticGradient(antitheticValues(f, x, noise, sigma), noise, {
      sigma,
      out: new Float64Array(dim),
    });
    for (let i = 0; i < dim; i++) mean[i] += g[i] / runs;
  }
  const norm2 = dot(a, a);
  mean.forEach((v, i) => {
    const sd = Math.sqrt((norm2 + a[i] ** 2) / (pairs * runs));
    assert.ok(Math.abs(v - a[i]) < 4 * sd, `i ${i}: ${v} vs ${a[i]} (sd ${sd.toFixed(3)})`);
  });
});

Deno.test("antitheticGradient() says what is wrong with noise or values of the wrong length", () => {
  assert.throws(
    () => antitheticGradient(new Float64Array(4), new Float64Array(785), { sigma: 1 }),
    {
      name: "RangeError",
      message: /noise must hold whole vectors of 784 \(the length of "out"\), received 785 values/,
    },
  );
  assert.throws(
    () => antitheticGradient(new Float64Array(3), new Float64Array(1568), { sigma: 1 }),
    {
      name: "RangeError",
      message: /2 noise vectors need 4 values \(plus and minus of each\), received 3/,
    },
  );
});

Deno.test("nes: one sign step moves each pixel the way a linear objective's true gradient points", () => {
  // The stepper end to end: a linear objective of the scored 8-bit candidates, f = a·image with
  // a_i = ±1. With n pairs, each coordinate of the estimate is a_i plus noise of standard
  // deviation √((|a|² + 1)/n) = √(785/1000) ≈ 0.89 (the candidates' rounding to 8 bits adds
  // little at σ = 0.1, 25.5 levels), so a sign step agrees with sign(a_i) with probability
  // Φ(1/0.89) ≈ 0.87: over 784 pixels, 0.87 ± 0.012.
  const spec = nes.schema.parse({ name: "nes", candidates: 2000, optimizer: "sign" });
  const prng = createPrng(12);
  const a = Float64Array.from({ length: PIXELS }, () => (prng.next() < 0.5 ? -1 : 1));
  const base = new Uint8Array(PIXELS).fill(128);
  const optimizer = nes.create(spec, { base, baseValue: 0, prng: createPrng(13) });
  const { images, count } = optimizer.ask();
  const values = Float64Array.from(
    { length: count },
    (_, c) => dot(a, images.subarray(c * PIXELS, (c + 1) * PIXELS)),
  );
  optimizer.tell(values);
  // The next candidates straddle the moved image: x' = 128/255 ± learningRate (0.05, 12.75
  // levels), so the mean of a pair's levels sits near 140.75 or 115.25, far from 128.
  optimizer.ask();
  let agree = 0;
  for (let i = 0; i < PIXELS; i++) {
    const middle = (optimizer.levelsOf(0)[i] + optimizer.levelsOf(1)[i]) / 2;
    assert.ok(Math.abs(Math.abs(middle - 128) - 12.75) <= 1, `pixel ${i} moved by ${middle - 128}`);
    if (Math.sign(middle - 128) === a[i]) agree++;
  }
  const share = agree / PIXELS;
  assert.ok(share > 0.82 && share < 0.92, `sign agreement ${share.toFixed(3)}, expected ≈ 0.87`);
});

/** Φ, the standard normal CDF, from erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2, t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 +
    t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

Deno.test("createGaussian() draws standard normals: Kolmogorov–Smirnov against Φ, moments, pairs", () => {
  // NES's noise and the gaussian family's masks come from here. n = 100,000 draws.
  const n = 100000, gaussian = createGaussian(createPrng(14));
  const x = Float64Array.from({ length: n }, gaussian);
  // Kolmogorov–Smirnov: D = max |F_n − Φ|; at α = 0.001 the critical value is 1.949/√n.
  const sorted = x.slice().sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const p = normalCdf(sorted[i]);
    d = Math.max(d, Math.abs((i + 1) / n - p), Math.abs(p - i / n));
  }
  assert.ok(
    d < 1.949 / Math.sqrt(n),
    `KS D = ${d.toFixed(5)} ≥ ${(1.949 / Math.sqrt(n)).toFixed(5)}`,
  );
  // Moments within 4 standard errors: mean 0 (1/√n), E[x²] = 1 (√(2/n)), E[x⁴] = 3 (√(96/n)).
  const moment = (k: number) => x.reduce((s, v) => s + v ** k, 0) / n;
  assert.ok(Math.abs(moment(1)) < 4 / Math.sqrt(n), `mean ${moment(1)}`);
  assert.ok(Math.abs(moment(2) - 1) < 4 * Math.sqrt(2 / n), `E[x²] ${moment(2)}`);
  assert.ok(Math.abs(moment(4) - 3) < 4 * Math.sqrt(96 / n), `E[x⁴] ${moment(4)}`);
  // Box–Muller's two outputs of a pair (cos and sin of one angle) are independent: their
  // correlation over n/2 pairs is 0 ± 1/√(n/2).
  let r = 0;
  for (let i = 0; i < n; i += 2) r += x[i] * x[i + 1];
  r /= n / 2;
  assert.ok(Math.abs(r) < 4 / Math.sqrt(n / 2), `pair correlation ${r}`);
});

/** The midpoint of the first antithetic pair of a latent ask: the latent the step moved to. */
function latentCentre(latents: Float32Array, dim: number): Float64Array {
  return Float64Array.from({ length: dim }, (_, i) => (latents[i] + latents[dim + i]) / 2);
}

Deno.test("latent nes: a step of length σ along the true gradient of a linear objective, and the prior pulls toward 0", () => {
  const dim = 8, sigma = 0.5; // the VAE's latent size; the default step size
  const prng = createPrng(15);
  const a = Float64Array.from({ length: dim }, () => 2 * prng.next() - 1);
  // From the origin the log-prior's antithetic differences cancel exactly: the step follows a.
  // With 1,000 pairs in 8 dimensions the direction is off by tan² ≈ 7/1000: cos ≈ 0.9965.
  const spec = latent.schema.parse({ name: "latent", method: "nes", candidates: 2000 });
  const optimizer = latent.create(spec, { base: new Uint8Array(PIXELS), baseValue: 0, prng });
  const first = optimizer.askLatents!();
  optimizer.tell(
    Float64Array.from(
      { length: first.count },
      (_, c) => dot(a, first.latents.subarray(c * dim, (c + 1) * dim)),
    ),
  );
  const moved = latentCentre(optimizer.askLatents!().latents, dim);
  assert.ok(Math.abs(Math.hypot(...moved) - sigma) < 1e-6, `step length ${Math.hypot(...moved)}`);
  const cos = dot(moved, a) / (Math.hypot(...moved) * Math.hypot(...a));
  assert.ok(cos > 0.99, `cos ${cos}`);
  // An objective that ignores the latent: only the prior −λ‖z‖²/2 is left, whose gradient is
  // −λz, so from a random start the step points back to the origin.
  const pulled = latent.create(
    latent.schema.parse({
      name: "latent",
      method: "nes",
      candidates: 2000,
      start: "random",
      prior: 1,
    }),
    { base: new Uint8Array(PIXELS), baseValue: 0, prng: createPrng(16) },
  );
  const start = latentCentre(pulled.askLatents!().latents, dim);
  pulled.tell(new Float64Array(2000));
  const step = latentCentre(pulled.askLatents!().latents, dim).map((v, i) => v - start[i]);
  const back = -dot(step, start) / (Math.hypot(...step) * Math.hypot(...start));
  assert.ok(back > 0.99, `cos with −z ${back}`);
});
