/**
 * The seed's search: each step draws `masks` random masks (each touching a fixed share of the
 * pixels by a random amount), adds each to the base, and keeps the best candidate if it
 * improves. Its parameters are the config's `masks` and `perturbation` axes.
 */

import { z } from "zod";
import { createGaussian, LEVEL_VALUES, PIXELS } from "./strategy.ts";
import type { Optimizer, StrategyDefinition } from "./strategy.ts";

/** The perturbation families: how a touched pixel changes. */
export const PERTURBATION_FAMILIES = [
  "uniform",
  "gaussian",
  "saltpepper",
  "dense",
  "additive",
] as const;

/** How greedy masks perturb the base. */
export interface Perturbation {
  /** Fraction of the 784 pixels each mask touches, in (0, 1]. */
  density: number;
  /** Largest change of a touched pixel, as a fraction of full scale, in (0, 1]. */
  amplitude: number;
  /**
   * How a touched pixel changes (absent: "uniform", the seed's reading): uniform in
   * ±amplitude; "gaussian" with σ = amplitude; "saltpepper" set to black or white; "dense"
   * uniform in ±amplitude on every pixel (density 1); "additive" gains uniform [0, amplitude]
   * (ink is only ever added: nothing drawn can be erased).
   */
  family?: typeof PERTURBATION_FAMILIES[number];
  /**
   * false: masks are added to an unclipped base (pixels may go below 0 or above 1 there) and a
   * candidate is clipped only when scored; absent or true: every sum is clipped to [0, 1].
   */
  clip?: boolean;
}

/**
 * The seed's defaults: 500 masks, each touching 5 % of the pixels by up to ±0.5 (with them
 * most digits reach 0.99; see the README). The config's defaults are these.
 */
export const GREEDY_DEFAULTS: Readonly<{ masks: number; perturbation: Readonly<Perturbation> }> =
  Object.freeze({ masks: 500, perturbation: Object.freeze({ density: 0.05, amplitude: 0.5 }) });

/** A greedy cell's parameters (the config's `{ "name": "greedy" }` takes them from its axes). */
export type GreedySpec = {
  name: "greedy";
  masks: number;
  perturbation: Perturbation;
};

const schema = z.strictObject({
  name: z.literal("greedy"),
}).describe(
  "The seed's search: `masks` random masks per step with the `perturbation` regime (both top-level axes)",
) as unknown as z.ZodType<GreedySpec, unknown>;

/** The seed's greedy mask search. */
export const greedy: StrategyDefinition<GreedySpec> = {
  name: "greedy",
  description: "the seed's search: random pixel masks, keep the best if it improves",
  schema,
  candidates: (spec) => spec.masks,
  label: (spec) => (spec.masks === undefined ? "greedy" : `greedy, ${spec.masks} masks`),
  create(spec, { base: start, baseValue, prng }): Optimizer {
    const { masks } = spec;
    const family = spec.perturbation.family ?? "uniform";
    const clip = spec.perturbation.clip ?? true;
    const density = family === "dense" ? 1 : spec.perturbation.density;
    const touched = Math.max(1, Math.round(density * PIXELS));
    const amplitudeLevels = spec.perturbation.amplitude * 255;
    // The base as levels; unclipped, it may leave [0, 255] (only candidates are clipped).
    const base = Int32Array.from(start);
    const baseFloats = Float32Array.from(start, (v) => LEVEL_VALUES[v]);
    const floats = new Float32Array(masks * PIXELS);
    // Each mask's changes (pixel, new level): the best candidate is rebuilt from them.
    const changedPixels = new Uint16Array(masks * touched);
    const changedLevels = new Int32Array(masks * touched);
    const order = Uint16Array.from({ length: PIXELS }, (_, i) => i);
    const candidate = new Uint8Array(PIXELS);
    const gaussian = family === "gaussian" ? createGaussian(prng) : null;
    const additive = family === "additive";
    const toLevel = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
    let bestValue = baseValue;
    return {
      ask() {
        for (let m = 0; m < masks; m++) {
          const offset = m * PIXELS;
          floats.set(baseFloats, offset);
          // A uniform random subset of `touched` pixels: a partial Fisher–Yates shuffle.
          for (let t = 0; t < touched; t++) {
            const j = t + prng.nextInt(PIXELS - t);
            const pixel = order[j];
            order[j] = order[t];
            order[t] = pixel;
            let v: number;
            if (family === "saltpepper") v = prng.next() < 0.5 ? 0 : 255;
            else {
              const delta = gaussian
                ? Math.round(gaussian() * amplitudeLevels)
                : additive
                ? Math.round(prng.next() * amplitudeLevels)
                : Math.round((2 * prng.next() - 1) * amplitudeLevels);
              v = base[pixel] + delta;
            }
            const level = clip ? toLevel(v) : v;
            changedPixels[m * touched + t] = pixel;
            changedLevels[m * touched + t] = level;
            floats[offset + pixel] = LEVEL_VALUES[toLevel(level)];
          }
        }
        return { images: floats, count: masks };
      },
      levelsOf(index) {
        for (let i = 0; i < PIXELS; i++) candidate[i] = toLevel(base[i]);
        for (let t = index * touched; t < (index + 1) * touched; t++) {
          candidate[changedPixels[t]] = toLevel(changedLevels[t]);
        }
        return candidate;
      },
      tell(values) {
        let bestIndex = -1;
        for (let m = 0; m < masks; m++) {
          if (values[m] > bestValue) {
            bestValue = values[m];
            bestIndex = m;
          }
        }
        if (bestIndex < 0) return;
        for (let t = bestIndex * touched; t < (bestIndex + 1) * touched; t++) {
          base[changedPixels[t]] = changedLevels[t];
          baseFloats[changedPixels[t]] = LEVEL_VALUES[toLevel(changedLevels[t])];
        }
      },
    };
  },
};
