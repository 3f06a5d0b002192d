/**
 * Square patches (after Square Attack, Andriushchenko et al. 2020): each candidate sets a
 * random square to black or white; the square's area starts at `size` of the image and halves
 * on a schedule; the best candidate replaces the parent if it improves the objective.
 */

import { z } from "zod";
import { createElitist } from "./_elitist.ts";
import type { StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("square"),
  candidates: z.int().min(1).max(10000).default(4).describe("Candidates per step"),
  size: z.number().gt(0).lte(1).default(0.1)
    .describe("The first squares' area as a fraction of the image; halves on the schedule"),
});

/** A square strategy's parameters. */
export type SquareSpec = z.output<typeof schema>;

/** Steps after which the square's area halves (Square Attack's schedule for short budgets). */
const HALVINGS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

/** The square's side at `step` for an initial area fraction `size`. */
export function squareSide(size: number, step: number): number {
  const halvings = HALVINGS.filter((h) => step >= h).length;
  return Math.max(1, Math.round(Math.sqrt((size / 2 ** halvings) * 784)));
}

/** Black or white squares with a shrinking size, elitist. */
export const square: StrategyDefinition<SquareSpec> = {
  name: "square",
  description: "Square-Attack patches set to black or white, shrinking on a schedule; elitist",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `square, ${spec.candidates} per step`,
  create(spec, start) {
    return createElitist(start, spec.candidates, {
      mutate(child, prng, step) {
        const side = squareSide(spec.size, step);
        const x0 = prng.nextInt(28 - side + 1), y0 = prng.nextInt(28 - side + 1);
        const level = prng.next() < 0.5 ? 0 : 255;
        for (let y = y0; y < y0 + side; y++) child.fill(level, y * 28 + x0, y * 28 + x0 + side);
      },
    });
  },
};
