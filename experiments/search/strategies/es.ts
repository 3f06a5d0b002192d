/**
 * A (1+λ) evolution strategy on pixels: each child adds Gaussian noise of scale `sigma` to a
 * random `density` share of the parent's pixels; both adapt by the one-fifth success rule.
 */

import { z } from "zod";
import { createElitist } from "./_elitist.ts";
import { createGaussian, PIXELS, type StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("es"),
  candidates: z.int().min(1).max(10000).default(8).describe("λ: children per step"),
  sigma: z.number().gt(0).lte(1).default(0.5).describe("Initial noise scale (fraction of full)"),
  density: z.number().gt(0).lte(1).default(0.05).describe("Initial share of pixels changed"),
});

/** An ES strategy's parameters. */
export type EsSpec = z.output<typeof schema>;

/** Growth on success; failures shrink by its fourth root, so 1 success in 5 keeps them level. */
const GROWTH = Math.exp(1 / 3);

/** (1+λ)-ES with success-rule step sizes. */
export const es: StrategyDefinition<EsSpec> = {
  name: "es",
  description: "(1+λ) evolution strategy on pixels, noise scale and density by the 1/5 rule",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `es, λ = ${spec.candidates}`,
  create(spec, start) {
    let sigma = spec.sigma, density = spec.density;
    const gaussian = createGaussian(start.prng);
    return createElitist(start, spec.candidates, {
      mutate(child, prng) {
        const touched = Math.max(1, Math.round(density * PIXELS));
        for (let t = 0; t < touched; t++) {
          const p = prng.nextInt(PIXELS);
          const v = Math.round(child[p] + 255 * sigma * gaussian());
          child[p] = v < 0 ? 0 : v > 255 ? 255 : v;
        }
      },
      after(improved) {
        const f = improved ? GROWTH : GROWTH ** -0.25;
        sigma = Math.min(1, Math.max(2 / 255, sigma * f));
        density = Math.min(0.5, Math.max(1 / PIXELS, density * f));
      },
    });
  },
};
