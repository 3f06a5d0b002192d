/**
 * Sketching, a strategy of our own for the digits simple strokes find hard (rings, long
 * stems): each candidate adds one curved pen stroke (a quadratic Bézier), often continuing from
 * ink already on the page, or erases one. Stroke length adapts by the success rule: long
 * strokes lay out the figure while they keep helping, short ones refine it once they stop.
 */

import { z } from "zod";
import { createElitist } from "./_elitist.ts";
import { arc, bezier, drawStroke } from "./_raster.ts";
import { PIXELS, type StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("sketch"),
  candidates: z.int().min(1).max(10000).default(8).describe("Candidates per step"),
  length: z.number().min(1).max(28).default(10).describe("Initial stroke length in pixels"),
  width: z.tuple([z.number().min(0.5).max(6), z.number().min(0.5).max(6)])
    .refine(([a, b]) => a <= b, { error: "must be [low, high] with low ≤ high" })
    .default([1.5, 3]).describe("Pen width in pixels, drawn uniformly from [low, high]"),
  erase: z.number().min(0).max(1).default(0.25).describe("Share of strokes that erase"),
  continuity: z.number().min(0).max(1).default(0.5)
    .describe("Share of strokes that start on ink already drawn"),
  rings: z.number().min(0).max(1).default(0.3)
    .describe("Share of strokes that are elliptical arcs (loops) instead of curves"),
});

/** A sketch strategy's parameters. */
export type SketchSpec = z.output<typeof schema>;

/** Length growth on success; failures shrink it by the fourth root (the one-fifth rule). */
const GROWTH = Math.exp(0.25);

/** Adaptive curved strokes, elitist. */
export const sketch: StrategyDefinition<SketchSpec> = {
  name: "sketch",
  description:
    "curved pen strokes, often continuing existing ink, length adapted by the 1/5 success rule",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `sketch, ${spec.candidates} per step`,
  create(spec, start) {
    let length = spec.length;
    // The parent's inked pixels, listed once per step (every child starts as the parent).
    const inked = new Uint16Array(PIXELS);
    let n = 0, listed = -1;
    return createElitist(start, spec.candidates, {
      mutate(child, prng, step) {
        let x = 3 + 22 * prng.next(), y = 3 + 22 * prng.next();
        if (prng.next() < spec.continuity) {
          if (listed !== step) {
            n = 0;
            for (let p = 0; p < PIXELS; p++) if (child[p] > 127) inked[n++] = p;
            listed = step;
          }
          if (n > 0) {
            const p = inked[prng.nextInt(n)];
            x = p % 28;
            y = Math.floor(p / 28);
          }
        }
        const l = length * (0.5 + prng.next());
        const angle = 2 * Math.PI * prng.next();
        let points: number[];
        if (prng.next() < spec.rings) {
          // A loop whose circumference is about the stroke length, starting at (x, y): the arc
          // is drawn around the origin, then moved so that its first point lands there.
          const r = Math.max(1.5, l / 4), aspect = 0.6 + 0.8 * prng.next();
          const sweep = Math.PI * (1 + prng.next());
          points = arc(0, 0, r, r * aspect, { tilt: Math.PI * prng.next(), start: angle, sweep });
          const dx = x - points[0], dy = y - points[1];
          for (let i = 0; i < points.length; i += 2) {
            points[i] += dx;
            points[i + 1] += dy;
          }
        } else {
          const bend = (prng.next() - 0.5) * 1.2 * l;
          const ex = x + l * Math.cos(angle), ey = y + l * Math.sin(angle);
          const cx = (x + ex) / 2 - bend * Math.sin(angle);
          const cy = (y + ey) / 2 + bend * Math.cos(angle);
          points = bezier(x, y, cx, cy, ex, ey);
        }
        const width = spec.width[0] + (spec.width[1] - spec.width[0]) * prng.next();
        drawStroke(child, { points, width, ink: 1, erase: prng.next() < spec.erase });
      },
      after(improved) {
        length = Math.min(28, Math.max(1.5, length * (improved ? GROWTH : GROWTH ** -0.25)));
      },
    });
  },
};
