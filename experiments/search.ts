/**
 * One search: from a base image, a strategy proposes candidates, all are scored in one batch,
 * and the strategy is told their objective, until the network is sure. Pure: randomness comes
 * from the PRNG passed in, scoring from the function passed in.
 */

import type { Prng } from "../common/prng.ts";
import { DEFAULT_OBJECTIVE, type ObjectiveName, OBJECTIVES } from "./objectives.ts";
import { GREEDY_DEFAULTS, type Perturbation } from "./strategies/greedy.ts";
import { strategyOf } from "./strategies/registry.ts";
import { LEVEL_VALUES, type Optimizer, PIXELS, type StrategySpec } from "./strategies/strategy.ts";

export { PIXELS };
export type { Perturbation };

/** Scores `count` images (`count × 784` floats in [0, 1]) → `count × 10` probabilities. */
export type ScoreFn = (images: Float32Array, count: number) => Promise<Float32Array>;

/** What one search does. */
export interface SearchOptions {
  digit: number;
  /** Stop as converged once the target digit's probability reaches this. */
  target: number;
  /** Stop after this many steps. */
  maxIterations: number;
  /** Stop once this many images were scored (a budget that is fair across strategies). */
  maxEvaluations?: number;
  /** Stop as stuck after this many steps without improving the objective. */
  patience: number;
  /** "blank": all black; "noise": uniform random pixels from the PRNG. */
  base: "blank" | "noise";
  /** The strategy and its parameters; the seed's greedy search when absent. */
  strategy?: StrategySpec;
  /** What the strategy maximises (default: the strategy's own `objective`, else "probability"). */
  objective?: ObjectiveName;
  /** Greedy: candidates per step. */
  masks?: number;
  /** Greedy: how each mask perturbs the base. */
  perturbation?: Perturbation;
}

/** What a finished search reports. */
export interface SearchResult {
  converged: boolean;
  stuck: boolean;
  /** Steps taken. */
  iterations: number;
  /** Images scored, the base included. */
  evaluations: number;
  initialConfidence: number;
  /** The target digit's probability on the final image. */
  finalConfidence: number;
  /** All ten probabilities of the final image. */
  finalProbabilities: number[];
  /** The best confidence scored so far, after each step (length = iterations). */
  trajectory: number[];
  /** Step of the last improvement of the objective (0: none). */
  lastImprovement: number;
  /**
   * The final image as 8-bit levels (value = level / 255): exactly what was scored. It is the
   * image with the highest target probability of all scored (for an elitist strategy under
   * the probability objective, its last accepted image).
   */
  image: Uint8Array;
}

/**
 * One search as a step machine: {@linkcode SearchStepper.propose} gives the images to score,
 * {@linkcode SearchStepper.accept} takes their probabilities. Several steppers can share one
 * scoring call (cross-run batching) and still give exactly the records they give alone.
 */
export interface SearchStepper {
  readonly done: boolean;
  /** Images to score next (`count × 784` floats): the base first, then each step's candidates. */
  propose(): { images: Float32Array; count: number };
  /** Probabilities (`count × 10`) for the images of the last {@linkcode propose}. */
  accept(probabilities: Float32Array): void;
  /** The current best confidence and step, for progress displays. */
  readonly best: number;
  readonly iteration: number;
  result(): SearchResult;
}

/**
 * The strategy a search runs, its parameters defaulted and checked; greedy takes `masks` and
 * `perturbation` from the options.
 */
export function resolveStrategy(options: SearchOptions): StrategySpec {
  if (options.strategy && options.strategy.name !== "greedy") {
    const { objective: _objective, ...parameters } = options.strategy;
    const parsed = strategyOf(options.strategy).schema.safeParse(parameters);
    if (!parsed.success) {
      throw new RangeError(
        `Cannot search: invalid ${options.strategy.name} parameters ${
          JSON.stringify(options.strategy)
        }: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
      );
    }
    return parsed.data;
  }
  return {
    name: "greedy",
    masks: options.masks ?? GREEDY_DEFAULTS.masks,
    perturbation: options.perturbation ?? { ...GREEDY_DEFAULTS.perturbation },
  } as StrategySpec;
}

/** Images a step of this search scores (for choosing how many searches share a batch). */
export function candidatesPerStep(options: SearchOptions): number {
  const spec = resolveStrategy(options);
  return strategyOf(spec).candidates(spec);
}

/** Creates a stepper for one search. */
export function createSearch(options: SearchOptions, prng: Prng): SearchStepper {
  const { digit, target, maxIterations, patience } = options;
  const spec = resolveStrategy(options);
  const definition = strategyOf(spec);
  const objective =
    OBJECTIVES[options.objective ?? options.strategy?.objective ?? DEFAULT_OBJECTIVE].evaluate;
  const base = new Uint8Array(PIXELS);
  if (options.base === "noise") { for (let i = 0; i < PIXELS; i++) base[i] = prng.nextInt(256); }
  const bestImage = base.slice();
  const trajectory: number[] = [];
  let optimizer: Optimizer | undefined;
  let best = -1, bestValue = -Infinity, initial = -1, iteration = 0, lastImprovement = 0;
  let evaluations = 0, asked = 0;
  let bestProbabilities: number[] = [];
  let state: "initial" | "searching" | "done" = "initial";
  let converged = false, stuck = false;

  const finishIfDone = () => {
    if (best >= target) converged = true;
    else if (iteration - lastImprovement >= patience && iteration > 0) stuck = true;
    const spent = options.maxEvaluations !== undefined && evaluations >= options.maxEvaluations;
    if (converged || stuck || iteration >= maxIterations || spent) state = "done";
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
        asked = 1;
        return { images: Float32Array.from(base, (v) => LEVEL_VALUES[v]), count: 1 };
      }
      const proposal = optimizer!.ask();
      asked = proposal.count;
      return proposal;
    },
    accept(probabilities) {
      if (probabilities.length < asked * 10) {
        throw new RangeError(
          `Cannot search: the scorer returned ${probabilities.length} probabilities for ${asked} images; expected ${
            asked * 10
          }`,
        );
      }
      if (state === "initial") {
        best = initial = probabilities[digit];
        bestValue = objective(probabilities, 0, digit);
        bestProbabilities = Array.from(probabilities.subarray(0, 10));
        evaluations = 1;
        optimizer = definition.create(spec, { base, baseValue: bestValue, prng });
        state = "searching";
        finishIfDone();
        return;
      }
      const values = new Float64Array(asked);
      let bestIndex = -1, stepBest = bestValue;
      for (let c = 0; c < asked; c++) {
        values[c] = objective(probabilities, c, digit);
        if (values[c] > stepBest) stepBest = values[c];
        const p = probabilities[c * 10 + digit];
        if (p > best) {
          best = p;
          bestIndex = c;
        }
      }
      if (bestIndex >= 0) {
        bestImage.set(optimizer!.levelsOf(bestIndex));
        bestProbabilities = Array.from(probabilities.subarray(bestIndex * 10, bestIndex * 10 + 10));
      }
      optimizer!.tell(values);
      iteration++;
      evaluations += asked;
      if (stepBest > bestValue) {
        bestValue = stepBest;
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
        image: bestImage.slice(),
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
export async function advanceTogether(
  searches: SearchStepper[],
  score: ScoreFn,
  options: { onScored?: (search: SearchStepper, count: number) => void } = {},
): Promise<number> {
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
    options.onScored?.(s, proposals[i].count);
    s.accept(probabilities.subarray(offset * 10, (offset + proposals[i].count) * 10));
    offset += proposals[i].count;
  });
  return count;
}
