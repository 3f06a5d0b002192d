/**
 * Pen strokes: each candidate is the parent with one short anti-aliased line drawn or erased;
 * the best candidate replaces the parent if it improves the objective.
 */

import { z } from "zod";
import { createElitist } from "./_elitist.ts";
import { drawStroke } from "./_raster.ts";
import { rangeSchema, type StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("stroke"),
  candidates: z.int().min(1).max(10000).default(8).describe("Candidates per step"),
  length: rangeSchema(0, 28, "Stroke length in pixels, drawn uniformly from [low, high]").default([
    2,
    8,
  ]),
  width: rangeSchema(0.5, 6, "Pen width in pixels, drawn uniformly from [low, high]").default([
    0.8,
    2,
  ]),
  erase: z.number().min(0).max(1).default(0.3).describe("Share of strokes that erase"),
});

/** A stroke strategy's parameters. */
export type StrokeSpec = z.output<typeof schema>;

/** Pen strokes drawn or erased, elitist. */
export const stroke: StrategyDefinition<StrokeSpec> = {
  name: "stroke",
  description: "short anti-aliased pen strokes drawn or erased; keep the best if it improves",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `stroke, ${spec.candidates} per step`,
  create(spec, start) {
    const between = ([low, high]: readonly [number, number], u: number) => low + (high - low) * u;
    return createElitist(start, spec.candidates, {
      mutate(child, prng) {
        const x = 2 + 24 * prng.next(), y = 2 + 24 * prng.next();
        const angle = 2 * Math.PI * prng.next();
        const length = between(spec.length, prng.next());
        const width = between(spec.width, prng.next());
        const erase = prng.next() < spec.erase;
        drawStroke(child, {
          points: [x, y, x + length * Math.cos(angle), y + length * Math.sin(angle)],
          width,
          ink: 1,
          erase,
        });
      },
    });
  },
};
