/**
 * The seed's search: each step draws `masks` random masks (each touching a fixed share of the
 * pixels by a random amount), adds each to the base, and keeps the best candidate if it
 * improves. Its parameters are the config's `masks` and `perturbation` axes.
 */

import { z } from "zod";
import { LEVEL_VALUES, type Optimizer, PIXELS, type StrategyDefinition } from "./strategy.ts";

/** How greedy masks perturb the base. */
export interface Perturbation {
  /** Fraction of the 784 pixels each mask touches, in (0, 1]. */
  density: number;
  /** Largest change of a touched pixel, as a fraction of full scale, in (0, 1]. */
  amplitude: number;
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
    const touched = Math.max(1, Math.round(spec.perturbation.density * PIXELS));
    const amplitudeLevels = spec.perturbation.amplitude * 255;
    const base = start.slice();
    const baseFloats = Float32Array.from(base, (v) => LEVEL_VALUES[v]);
    const floats = new Float32Array(masks * PIXELS);
    // Each mask's changes (pixel, new level): the best candidate is rebuilt from them.
    const changedPixels = new Uint16Array(masks * touched);
    const changedLevels = new Uint8Array(masks * touched);
    const order = Uint16Array.from({ length: PIXELS }, (_, i) => i);
    const candidate = new Uint8Array(PIXELS);
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
            const delta = Math.round((2 * prng.next() - 1) * amplitudeLevels);
            const v = base[pixel] + delta;
            const level = v < 0 ? 0 : v > 255 ? 255 : v;
            changedPixels[m * touched + t] = pixel;
            changedLevels[m * touched + t] = level;
            floats[offset + pixel] = LEVEL_VALUES[level];
          }
        }
        return { images: floats, count: masks };
      },
      levelsOf(index) {
        candidate.set(base);
        for (let t = index * touched; t < (index + 1) * touched; t++) {
          candidate[changedPixels[t]] = changedLevels[t];
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
          baseFloats[changedPixels[t]] = LEVEL_VALUES[changedLevels[t]];
        }
      },
    };
  },
};
