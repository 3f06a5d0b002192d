/**
 * Sketching, a strategy of our own for the digits simple strokes find hard (rings, long
 * stems): each candidate adds one pen stroke to the parent, a gently bent line (a quadratic
 * Bézier) or a loop (an elliptical arc of a digit's size), drawn anywhere or continuing ink
 * already on the page, or erases from a point on the ink. Line length adapts by the success
 * rule: long strokes lay out the figure while they keep helping, short ones refine it once they
 * stop. The shares of the six kinds of stroke follow their recent success, so that a run
 * drawing a 1 soon proposes fewer loops and one drawing a 0 more.
 */

import { z } from "zod";
import { createElitist } from "./_elitist.ts";
import { arc, bezier, drawStroke } from "./_raster.ts";
import { PIXELS, rangeSchema, type StrategyDefinition } from "./strategy.ts";

const schema = z.strictObject({
  name: z.literal("sketch"),
  candidates: z.int().min(1).max(10000).default(8).describe("Candidates per step"),
  length: z.number().min(1).max(28).default(10).describe("Initial stroke length in pixels"),
  width: rangeSchema(0.5, 6, "Pen width in pixels, drawn uniformly from [low, high]").default([
    1.5,
    3,
  ]),
  erase: z.number().min(0).max(1).default(0.1)
    .describe("Initial share of strokes that erase (starting on ink already drawn)"),
  continuity: z.number().min(0).max(1).default(0.2)
    .describe("Initial share of drawn strokes that start on ink already drawn"),
  rings: z.number().min(0).max(1).default(0.5)
    .describe("Initial share of strokes that are loops (elliptical arcs) instead of curves"),
  bend: z.number().min(0).max(2).default(0.15).describe(
    "How far a curve bends: its control point lies up to this share of its length off the straight line",
  ),
  loops: rangeSchema(1, 14, "Loop radius in pixels, drawn uniformly from [low, high]").default([
    3,
    8,
  ]),
  adapt: z.number().min(0).max(0.99).default(0.8).describe(
    "How the shares of the kinds of stroke follow their success: each step's counts of tries and improvements decay by this factor: near 0 the shares follow the last step alone, near 0.99 a long history (exactly 0: the shares stay as given)",
  ),
});

/** A sketch strategy's parameters. */
export type SketchSpec = z.output<typeof schema>;

/** Length growth on success; failures shrink it by the fourth root (the one-fifth rule). */
const GROWTH = Math.exp(0.25);

/** The kinds of stroke: what each draws and where it starts. */
const KINDS = [
  { loop: false, onInk: false, erase: false },
  { loop: false, onInk: true, erase: false },
  { loop: true, onInk: false, erase: false },
  { loop: true, onInk: true, erase: false },
  { loop: false, onInk: true, erase: true },
  { loop: true, onInk: true, erase: true },
] as const;

/** Each kind's initial share, from the spec's erase, continuity and rings shares. */
export function initialShares(spec: SketchSpec): number[] {
  const { erase: e, continuity: c, rings: r } = spec;
  return KINDS.map((k) => (k.erase ? e : (1 - e) * (k.onInk ? c : 1 - c)) * (k.loop ? r : 1 - r));
}

/** How often each kind of stroke is drawn: its initial share times its recent success. */
export interface KindShares {
  /** The kind that `u` in [0, 1) picks. */
  pick(u: number): number;
  /** Records that a child of this step was of `kind` and whether it beat the parent. */
  record(kind: number, improved: boolean): void;
  /** Ends the step: older counts decay by `decay`, and the shares follow the counts. */
  endStep(): void;
  /** The current shares (not normalised). */
  readonly shares: readonly number[];
}

/**
 * Shares that start at `prior` and follow each kind's success rate over recent steps, by
 * Laplace's rule on counts that decay by `decay` per step (0: the shares stay at `prior`).
 */
export function createKindShares(prior: readonly number[], decay: number): KindShares {
  const shares = prior.slice();
  const tries = prior.map(() => 0), wins = prior.map(() => 0);
  const stepTries = prior.map(() => 0), stepWins = prior.map(() => 0);
  return {
    shares,
    pick(u) {
      let rest = u * shares.reduce((a, b) => a + b, 0), kind = 0;
      while (kind < shares.length - 1 && rest >= shares[kind]) rest -= shares[kind++];
      return kind;
    },
    record(kind, improved) {
      stepTries[kind]++;
      if (improved) stepWins[kind]++;
    },
    endStep() {
      if (decay === 0) return;
      for (let k = 0; k < shares.length; k++) {
        tries[k] = tries[k] * decay + stepTries[k];
        wins[k] = wins[k] * decay + stepWins[k];
        stepTries[k] = stepWins[k] = 0;
        shares[k] = prior[k] * (wins[k] + 1) / (tries[k] + 2);
      }
    },
  };
}

/** Adaptive curved strokes and loops, elitist. */
export const sketch: StrategyDefinition<SketchSpec> = {
  name: "sketch",
  description:
    "curves and loops drawn or erased, often continuing ink; length by the 1/5 rule, kinds by success",
  schema,
  candidates: (spec) => spec.candidates,
  label: (spec) => `sketch, ${spec.candidates} per step`,
  create(spec, start) {
    let length = spec.length;
    // The parent's inked pixels, listed once per step (every child starts as the parent).
    const inked = new Uint16Array(PIXELS);
    let n = 0, listed = -1;
    const shares = createKindShares(initialShares(spec), spec.adapt);
    // The kind of each child of this step.
    const kinds: number[] = [];
    return createElitist(start, spec.candidates, {
      mutate(child, prng, step) {
        const kind = shares.pick(prng.next());
        kinds.push(kind);
        const { loop, onInk, erase } = KINDS[kind];
        let x = 3 + 22 * prng.next(), y = 3 + 22 * prng.next();
        if (onInk) {
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
        if (loop) {
          // A loop of a digit's size starting at (x, y): the arc is drawn around the origin,
          // then moved so that its first point lands there.
          const r = spec.loops[0] + (spec.loops[1] - spec.loops[0]) * prng.next();
          const aspect = 0.6 + 0.8 * prng.next();
          const sweep = Math.PI * (1 + prng.next());
          points = arc(0, 0, r, r * aspect, { tilt: Math.PI * prng.next(), start: angle, sweep });
          const dx = x - points[0], dy = y - points[1];
          for (let i = 0; i < points.length; i += 2) {
            points[i] += dx;
            points[i + 1] += dy;
          }
        } else {
          const bend = (2 * prng.next() - 1) * spec.bend * l;
          const ex = x + l * Math.cos(angle), ey = y + l * Math.sin(angle);
          const cx = (x + ex) / 2 - bend * Math.sin(angle);
          const cy = (y + ey) / 2 + bend * Math.cos(angle);
          points = bezier(x, y, cx, cy, ex, ey);
        }
        const width = spec.width[0] + (spec.width[1] - spec.width[0]) * prng.next();
        drawStroke(child, { points, width, ink: 1, erase });
      },
      after(improved, values, parentValue) {
        kinds.forEach((kind, c) => shares.record(kind, values[c] > parentValue));
        shares.endStep();
        kinds.length = 0;
        length = Math.min(28, Math.max(1.5, length * (improved ? GROWTH : GROWTH ** -0.25)));
      },
    });
  },
};
