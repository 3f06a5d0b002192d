/**
 * Natural evolution strategies (Ilyas et al. 2018): antithetic Gaussian samples around a
 * continuous image estimate the objective's gradient; Adam or sign steps follow it. Every
 * sample is scored on the 8-bit grid, and the search reports the best image it scored.
 */

import { z } from "zod";
import { createGaussian, LEVEL_VALUES, PIXELS } from "./strategy.ts";
import type { Optimizer, StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("nes"),
  candidates: z.int().min(2).max(10000).multipleOf(2).default(20)
    .describe("Images per step: antithetic pairs, so an even number"),
  sigma: z.number().gt(0).lte(1).default(0.1).describe("Sampling scale (fraction of full)"),
  learningRate: z.number().gt(0).lte(1).default(0.05).describe("Step size"),
  optimizer: z.enum(["adam", "sign"]).default("adam").describe("How the estimate is followed"),
});

/**
 * The antithetic NES estimate of a gradient: given `n` noise vectors u_k (`noise`, n × d, row
 * by row) and the objective at x + σu_k and x − σu_k (`values`, interleaved: plus then minus for
 * each k), returns g_i = Σ_k (f(x + σu_k) − f(x − σu_k)) u_ki / (2nσ). For standard normal
 * u_k its expectation is the gradient of the Gaussian-smoothed objective, and the gradient
 * itself for a quadratic. `d` is `out`'s length (default 784, one image); `n` is `noise.length / d`.
 */
export function antitheticGradient(
  values: ArrayLike<number>,
  noise: ArrayLike<number>,
  options: { sigma: number; out?: Float64Array },
): Float64Array {
  const out = options.out ?? new Float64Array(PIXELS);
  const dim = out.length, pairs = noise.length / dim;
  if (!Number.isInteger(pairs)) {
    throw new RangeError(
      `Cannot estimate a gradient: noise must hold whole vectors of ${dim} (the length of "out"), received ${noise.length} values`,
    );
  }
  if (values.length < 2 * pairs) {
    throw new RangeError(
      `Cannot estimate a gradient: ${pairs} noise vectors need ${
        2 * pairs
      } values (plus and minus of each), received ${values.length}`,
    );
  }
  for (let i = 0; i < dim; i++) {
    let g = 0;
    for (let k = 0; k < pairs; k++) g += (values[2 * k] - values[2 * k + 1]) * noise[k * dim + i];
    // The same operations, in the same order, as the stepper always did: records stay the same.
    out[i] = g / (2 * pairs * options.sigma);
  }
  return out;
}

/** A NES strategy's parameters. */
export type NesSpec = z.output<typeof schema>;

/** Antithetic NES with Adam or sign steps. */
export const nes: StrategyDefinition<NesSpec> = {
  name: "nes",
  description: "antithetic NES gradient estimates with Adam or sign steps",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `nes, ${spec.candidates / 2} pairs, ${spec.optimizer}`,
  create(spec, { base, prng }): Optimizer {
    const pairs = spec.candidates / 2;
    const x = Float64Array.from(base, (v) => v / 255);
    const noise = new Float64Array(pairs * PIXELS);
    const levels = new Uint8Array(spec.candidates * PIXELS);
    const floats = new Float32Array(spec.candidates * PIXELS);
    const m = new Float64Array(PIXELS), v = new Float64Array(PIXELS);
    const gradient = new Float64Array(PIXELS);
    const gaussian = createGaussian(prng);
    let step = 0;
    const toLevel = (value: number) => {
      const level = Math.round(value * 255);
      return level < 0 ? 0 : level > 255 ? 255 : level;
    };
    return {
      ask() {
        for (let k = 0; k < pairs; k++) {
          for (let i = 0; i < PIXELS; i++) {
            const u = gaussian();
            noise[k * PIXELS + i] = u;
            const plus = toLevel(x[i] + spec.sigma * u), minus = toLevel(x[i] - spec.sigma * u);
            levels[2 * k * PIXELS + i] = plus;
            levels[(2 * k + 1) * PIXELS + i] = minus;
            floats[2 * k * PIXELS + i] = LEVEL_VALUES[plus];
            floats[(2 * k + 1) * PIXELS + i] = LEVEL_VALUES[minus];
          }
        }
        return { images: floats, count: spec.candidates };
      },
      levelsOf(index) {
        return levels.subarray(index * PIXELS, (index + 1) * PIXELS);
      },
      tell(values) {
        step++;
        const b1 = 0.9, b2 = 0.999;
        antitheticGradient(values, noise, { sigma: spec.sigma, out: gradient });
        for (let i = 0; i < PIXELS; i++) {
          const g = gradient[i];
          let delta: number;
          if (spec.optimizer === "sign") delta = Math.sign(g);
          else {
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            delta = (m[i] / (1 - b1 ** step)) / (Math.sqrt(v[i] / (1 - b2 ** step)) + 1e-8);
          }
          x[i] = Math.min(1, Math.max(0, x[i] + spec.learningRate * delta));
        }
      },
    };
  },
};
