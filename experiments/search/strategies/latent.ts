/**
 * Search through a learned prior: the strategy moves a latent vector, the generator's decoder
 * renders it, and the rendered image (quantised to the 8-bit grid) is what the classifiers
 * score. Every candidate is then something the generator learned to draw from handwriting;
 * the classifiers only choose among such images (Nguyen et al. 2016, with a VAE's decoder as
 * the generator). A Gaussian log-prior on the latent keeps it where the decoder was trained.
 */

import { z } from "zod";
import { GENERATOR_NAMES, TRAINING_DEFAULTS } from "../../../common/model_names.ts";
import { createGaussian, LEVEL_VALUES, PIXELS } from "./strategy.ts";
import type { Optimizer, StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("latent"),
  decoder: z.enum(GENERATOR_NAMES as [string, ...string[]]).default("vae")
    .describe("The generator whose decoder renders candidates (trained on first use)"),
  method: z.enum(["es", "nes"]).default("es").describe(
    "es: (1+λ) evolution strategy with the 1/5 success rule; nes: antithetic NES steps",
  ),
  candidates: z.int().min(2).max(10000).default(16).describe("Latent vectors per step"),
  sigma: z.number().gt(0).lte(10).default(0.5).describe("Initial step size in latent units"),
  prior: z.number().min(0).max(100).default(0.05).describe(
    "Weight of the latent's Gaussian log-prior ‖z‖²/2, subtracted from the objective",
  ),
  start: z.enum(["zero", "random"]).default("zero").describe(
    "Start from the latent origin (the decoder's 'average digit') or a draw from the prior",
  ),
});

/** A latent strategy's parameters. */
export type LatentSpec = z.output<typeof schema>;

const GROWTH = Math.exp(1 / 3);

/** Searches a generator's latent space with ES or NES. */
export const latent: StrategyDefinition<LatentSpec> = {
  name: "latent",
  description:
    "search the latent space of a generator (the VAE's decoder): every candidate is plausible handwriting",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `latent ${spec.method} (${spec.decoder}), ${spec.candidates} per step`,
  create(spec, start) {
    const dim = TRAINING_DEFAULTS[spec.decoder as keyof typeof TRAINING_DEFAULTS].latentDim!;
    const n = spec.method === "nes" ? 2 * Math.ceil(spec.candidates / 2) : spec.candidates;
    const gaussian = createGaussian(start.prng);
    const z = new Float64Array(dim);
    if (spec.start === "random") { for (let i = 0; i < dim; i++) z[i] = gaussian(); }
    const latents = new Float32Array(n * dim);
    const noise = new Float64Array(n * dim);
    const levels = new Uint8Array(n * PIXELS);
    const images = new Float32Array(n * PIXELS);
    let parentValue = -Infinity, sigma = spec.sigma;
    const logPrior = (c: number) => {
      let s = 0;
      for (let i = 0; i < dim; i++) s += latents[c * dim + i] ** 2;
      return -spec.prior * s / 2;
    };
    const optimizer: Optimizer = {
      decoder: spec.decoder,
      askLatents() {
        for (let c = 0; c < n; c++) {
          for (let i = 0; i < dim; i++) {
            // NES draws antithetic pairs: candidate 2k + 1 mirrors candidate 2k.
            const e = spec.method === "nes" && c % 2 === 1 ? -noise[(c - 1) * dim + i] : gaussian();
            noise[c * dim + i] = e;
            latents[c * dim + i] = z[i] + sigma * e;
          }
        }
        return { latents, count: n };
      },
      render(pixels) {
        for (let j = 0; j < n * PIXELS; j++) {
          const v = Math.round(pixels[j] * 255);
          levels[j] = v < 0 ? 0 : v > 255 ? 255 : v;
          images[j] = LEVEL_VALUES[levels[j]];
        }
        return { images, count: n };
      },
      ask() {
        throw new Error("Cannot ask a latent strategy for pixels: render its latents first");
      },
      levelsOf(index) {
        return levels.subarray(index * PIXELS, (index + 1) * PIXELS);
      },
      tell(values) {
        const scored = Float64Array.from(values, (v, c) => v + logPrior(c));
        if (spec.method === "es") {
          let best = -1;
          for (let c = 0; c < n; c++) {
            if (scored[c] > (best < 0 ? parentValue : scored[best])) best = c;
          }
          if (best >= 0) {
            for (let i = 0; i < dim; i++) z[i] = latents[best * dim + i];
            parentValue = scored[best];
          }
          sigma *= best >= 0 ? GROWTH : GROWTH ** -0.25;
          return;
        }
        // NES: a normalised step along the antithetic gradient estimate (ranks would discard
        // how much better a direction is; the differences keep it).
        const g = new Float64Array(dim);
        for (let c = 0; c < n; c += 2) {
          const d = scored[c] - scored[c + 1];
          if (!Number.isFinite(d)) continue;
          for (let i = 0; i < dim; i++) g[i] += d * noise[c * dim + i];
        }
        const norm = Math.hypot(...g);
        if (norm > 0) { for (let i = 0; i < dim; i++) z[i] += sigma * g[i] / norm; }
      },
    };
    return optimizer;
  },
};
