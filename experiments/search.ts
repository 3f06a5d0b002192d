/**
 * The reverse-recognition search: from a base image, perturb with random masks, score all
 * candidates in one batch, keep the best for the target digit (elitist), until the network is
 * sure. Pure: randomness comes from the PRNG passed in, scoring from the function passed in.
 */

import type { Prng } from "../common/prng.ts";

/** Pixels per image (28 × 28). */
export const PIXELS = 784;

/** Scores `count` images (`count × 784` floats in [0, 1]) → `count × 10` probabilities. */
export type ScoreFn = (images: Float32Array, count: number) => Promise<Float32Array>;

/** How candidates are perturbed. */
export interface Perturbation {
  /** Fraction of the 784 pixels each mask touches, in (0, 1]. */
  density: number;
  /** Largest change of a touched pixel, as a fraction of full scale, in (0, 1]. */
  amplitude: number;
}

/** What one search does. */
export interface SearchOptions {
  digit: number;
  /** Candidates per iteration. */
  masks: number;
  /** Stop as converged once the target digit's probability reaches this. */
  target: number;
  maxIterations: number;
  /** Stop as stuck after this many iterations without improvement. */
  patience: number;
  perturbation: Perturbation;
  /** "blank": all black; "noise": uniform random pixels from the PRNG. */
  base: "blank" | "noise";
}

/** What a finished search reports. */
export interface SearchResult {
  converged: boolean;
  stuck: boolean;
  iterations: number;
  /** Images scored, the base included. */
  evaluations: number;
  initialConfidence: number;
  finalConfidence: number;
  /** All ten probabilities of the final image. */
  finalProbabilities: number[];
  /** Best confidence after each iteration (length = iterations). */
  trajectory: number[];
  /** Iteration of the last improvement (0: none). */
  lastImprovement: number;
  /** The final image as 8-bit levels (value = level / 255): exactly what was scored. */
  image: Uint8Array;
}

/** Float value of each 8-bit level, so candidates live exactly on the k/255 grid. */
const LEVEL_VALUES = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/**
 * One search as a step machine: {@linkcode SearchStepper.propose} gives the images to score,
 * {@linkcode SearchStepper.accept} takes their probabilities. Several steppers can share one
 * scoring call (cross-run batching) and still give exactly the records they give alone.
 */
export interface SearchStepper {
  readonly done: boolean;
  /** Images to score next (`count × 784` floats) — the base first, then `masks` candidates. */
  propose(): { images: Float32Array; count: number };
  /** Probabilities (`count × 10`) for the images of the last {@linkcode propose}. */
  accept(probabilities: Float32Array): void;
  /** The current best confidence and iteration, for progress displays. */
  readonly best: number;
  readonly iteration: number;
  result(): SearchResult;
}

/** Creates a stepper for one search. */
export function createSearch(options: SearchOptions, prng: Prng): SearchStepper {
  const { digit, masks, target, maxIterations, patience } = options;
  const touched = Math.max(1, Math.round(options.perturbation.density * PIXELS));
  const amplitudeLevels = options.perturbation.amplitude * 255;
  const base = new Uint8Array(PIXELS);
  if (options.base === "noise") { for (let i = 0; i < PIXELS; i++) base[i] = prng.nextInt(256); }
  const baseFloats = new Float32Array(PIXELS);
  const floats = new Float32Array(masks * PIXELS);
  // Each mask's changes (pixel, new level): the best candidate is rebuilt from them on accept.
  const changedPixels = new Uint16Array(masks * touched);
  const changedLevels = new Uint8Array(masks * touched);
  const order = Uint16Array.from({ length: PIXELS }, (_, i) => i);
  const trajectory: number[] = [];
  let best = -1, initial = -1, iteration = 0, lastImprovement = 0, evaluations = 0;
  let bestProbabilities: number[] = [];
  let state: "initial" | "searching" | "done" = "initial";
  let converged = false, stuck = false;

  const finishIfDone = () => {
    if (best >= target) converged = true;
    else if (iteration - lastImprovement >= patience && iteration > 0) stuck = true;
    if (converged || stuck || iteration >= maxIterations) state = "done";
  };

  return {
    get done() {
      return state === "done";
    },
    get best() {
      return best;
    },
    get iteration() {
      return iteration;
    },
    propose() {
      if (state === "done") throw new Error("Cannot propose: the search has finished");
      if (state === "initial") {
        for (let i = 0; i < PIXELS; i++) baseFloats[i] = LEVEL_VALUES[base[i]];
        return { images: baseFloats.slice(), count: 1 };
      }
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
    accept(probabilities) {
      if (state === "initial") {
        best = initial = probabilities[digit];
        bestProbabilities = Array.from(probabilities.subarray(0, 10));
        evaluations = 1;
        state = "searching";
        finishIfDone();
        return;
      }
      let bestIndex = -1, bestValue = best;
      for (let m = 0; m < masks; m++) {
        const p = probabilities[m * 10 + digit];
        if (p > bestValue) {
          bestValue = p;
          bestIndex = m;
        }
      }
      iteration++;
      evaluations += masks;
      if (bestIndex >= 0) {
        for (let t = bestIndex * touched; t < (bestIndex + 1) * touched; t++) {
          base[changedPixels[t]] = changedLevels[t];
          baseFloats[changedPixels[t]] = LEVEL_VALUES[changedLevels[t]];
        }
        best = bestValue;
        bestProbabilities = Array.from(probabilities.subarray(bestIndex * 10, bestIndex * 10 + 10));
        lastImprovement = iteration;
      }
      trajectory.push(best);
      finishIfDone();
    },
    result() {
      if (state !== "done") throw new Error("Cannot report: the search has not finished");
      return {
        converged,
        stuck,
        iterations: iteration,
        evaluations,
        initialConfidence: initial,
        finalConfidence: best,
        finalProbabilities: bestProbabilities,
        trajectory: [...trajectory],
        lastImprovement,
        image: base.slice(),
      };
    },
  };
}

/** Options of {@linkcode runSearch}: the search, its randomness and optional hooks. */
export interface RunSearchOptions extends SearchOptions {
  prng: Prng;
  /** Stops between iterations. */
  signal?: AbortSignal;
  onIteration?: (best: number, iteration: number) => void;
}

/** Runs one search to the end, scoring each batch with `score`. */
export async function runSearch(score: ScoreFn, options: RunSearchOptions): Promise<SearchResult> {
  const search = createSearch(options, options.prng);
  while (!search.done) {
    options.signal?.throwIfAborted();
    const { images, count } = search.propose();
    search.accept(await score(images, count));
    options.onIteration?.(search.best, search.iteration);
  }
  return search.result();
}

/**
 * Advances every unfinished search by one step with a single scoring call (their proposals
 * concatenated). Each search sees exactly the probabilities it would see alone, so records do
 * not depend on how many searches share a batch. Returns the number of images scored.
 */
export async function advanceTogether(searches: SearchStepper[], score: ScoreFn): Promise<number> {
  const live = searches.filter((s) => !s.done);
  if (live.length === 0) return 0;
  const proposals = live.map((s) => s.propose());
  const count = proposals.reduce((n, p) => n + p.count, 0);
  let batch: Float32Array;
  if (proposals.length === 1) batch = proposals[0].images;
  else {
    batch = new Float32Array(count * PIXELS);
    let offset = 0;
    for (const p of proposals) {
      batch.set(p.images.subarray(0, p.count * PIXELS), offset * PIXELS);
      offset += p.count;
    }
  }
  const probabilities = await score(batch, count);
  let offset = 0;
  live.forEach((s, i) => {
    s.accept(probabilities.subarray(offset * 10, (offset + proposals[i].count) * 10));
    offset += proposals[i].count;
  });
  return count;
}
