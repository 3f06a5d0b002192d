/**
 * The shape every search strategy has: an ask/tell optimiser over 8-bit images, registered by
 * name with a parameter schema. The runner knows nothing else about a strategy.
 */

import { z } from "zod";
import type { Prng } from "../../../common/prng.ts";
import type { ObjectiveChoice } from "../objectives.ts";

/** Pixels per image (28 × 28). */
export const PIXELS = 784;

/** Float value of each 8-bit level, so candidates live exactly on the k/255 grid. */
export const LEVEL_VALUES: Float32Array = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/** A strategy as a config names it: `{ "name": …, …its own parameters }`. */
export interface StrategySpec {
  readonly name: string;
  /** Pins this strategy's objective (instead of the config's objective axis). */
  readonly objective?: ObjectiveChoice;
  /** The strategy's own parameters. */
  readonly [parameter: string]: unknown;
}

/**
 * One search's optimiser. The search scores what {@linkcode Optimizer.ask} proposes and
 * hands back the objective of each candidate (higher is better) to {@linkcode Optimizer.tell}.
 */
export interface Optimizer {
  /** The candidates to score next, as `count × 784` floats on the k/255 grid. */
  ask(): { images: Float32Array; count: number };
  /** The 8-bit levels of candidate `index` of the last ask (valid until the next tell). */
  levelsOf(index: number): Uint8Array;
  /** The objective of every candidate of the last ask. */
  tell(values: Float64Array): void;
  /**
   * Latent optimisers: the decoder that renders their candidates. They propose latent vectors
   * with `askLatents`, and `render` turns the decoder's pixels into the candidates to score
   * (on the k/255 grid); `ask` is then not used.
   */
  readonly decoder?: string;
  askLatents?(): { latents: Float32Array; count: number };
  render?(pixels: Float32Array): { images: Float32Array; count: number };
}

/** What a strategy starts from. */
export interface StrategyStart {
  /** The base image's levels (already scored). */
  base: Uint8Array;
  /** The base image's objective. */
  baseValue: number;
  /** The cell's PRNG: every random choice comes from it. */
  prng: Prng;
}

/** A registered strategy: its schema, how many images a step scores, and its optimiser. */
export interface StrategyDefinition<S extends StrategySpec = StrategySpec> {
  name: S["name"];
  /** One line for reports and the README. */
  description: string;
  /** The config object's schema (strict, parameters defaulted). */
  schema: z.ZodType<S, unknown>;
  /** Images scored per step (for cross-run batching). */
  candidates(spec: S): number;
  /** A short human label of the parameters, e.g. "stroke, 8 per step". */
  label(spec: S): string;
  create(spec: S, start: StrategyStart): Optimizer;
}

/** A parameter `[low, high]` of numbers in [min, max], a value drawn uniformly between them. */
export function rangeSchema(
  min: number,
  max: number,
  what: string,
): z.ZodType<[number, number], [number, number]> {
  return z.tuple([z.number().min(min).max(max), z.number().min(min).max(max)])
    .refine(([a, b]) => a <= b, { error: "must be [low, high] with low ≤ high" })
    .describe(what);
}

/** Writes `levels` as floats into `out` at `offset`. */
export function levelsToFloats(levels: Uint8Array, out: Float32Array, offset: number): void {
  for (let i = 0; i < PIXELS; i++) out[offset + i] = LEVEL_VALUES[levels[i]];
}

/** A source of standard normal deviates from `prng` (Box–Muller, both of each pair used). */
export function createGaussian(prng: Prng): () => number {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const value = spare;
      spare = NaN;
      return value;
    }
    const r = Math.sqrt(-2 * Math.log(1 - prng.next())), angle = 2 * Math.PI * prng.next();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
}
