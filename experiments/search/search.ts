/**
 * One search: from a base image, a strategy proposes candidates, all are scored in one batch,
 * and the strategy is told their objective, until the network is sure. Pure: randomness comes
 * from the PRNG passed in, scoring from the function passed in.
 */

import type { Prng } from "../../common/prng.ts";
import {
  compileObjective,
  DEFAULT_OBJECTIVE,
  type ObjectiveChoice,
  PRIMARY_MODEL,
  shiftImage,
} from "./objectives.ts";
import { GREEDY_DEFAULTS, type Perturbation } from "./strategies/greedy.ts";
import { strategyOf } from "./strategies/registry.ts";
import { LEVEL_VALUES, type Optimizer, PIXELS, type StrategySpec } from "./strategies/strategy.ts";

export { PIXELS };
export type { Perturbation };

/** Scores `count` images (`count × 784` floats in [0, 1]) → `count × 10` probabilities. */
export type ScoreFn = (images: Float32Array, count: number) => Promise<Float32Array>;

/** Renders `count` latent vectors (`count × dim`) → `count × 784` pixels in [0, 1]. */
export type DecodeFn = (latents: Float32Array, count: number) => Promise<Float32Array>;

/**
 * Everything a step may ask: the config's model ({@linkcode PRIMARY_MODEL}), other models by
 * name (ensembles), and decoders by name (latent strategies).
 */
export interface Scoring {
  score(model: string, images: Float32Array, count: number): Promise<Float32Array>;
  decode(decoder: string, latents: Float32Array, count: number): Promise<Float32Array>;
}

/** A scoring that knows only the config's model (the seed's setting). */
export function singleModel(score: ScoreFn): Scoring {
  return {
    score: (model, images, count) => {
      if (model !== PRIMARY_MODEL) {
        throw new Error(`Cannot score with model "${model}": only the config's model is loaded`);
      }
      return score(images, count);
    },
    decode: (decoder) => {
      throw new Error(`Cannot decode with "${decoder}": no decoder is loaded`);
    },
  };
}

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
  /**
   * A start of one's own (784 8-bit levels, row-major: a drawing, a real digit): replaces
   * `base`, and draws nothing from the PRNG for it.
   */
  baseImage?: Uint8Array;
  /** The strategy and its parameters; the seed's greedy search when absent. */
  strategy?: StrategySpec;
  /** What the strategy maximises (default: the strategy's own `objective`, else "probability"). */
  objective?: ObjectiveChoice;
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
  /** The target digit's probability on the final image (the least over the search models). */
  finalConfidence: number;
  /** All ten probabilities of the final image (the first search model's). */
  finalProbabilities: number[];
  /** Ensembles: each search model's target probability on the final image, by name. */
  modelConfidences?: Record<string, number>;
  /** Network queries: images × models (shifted copies included), plus decoder renders. */
  queries: number;
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
  /** The models every proposal is scored by, in the order `accept` takes their outputs. */
  readonly models: readonly string[];
  /**
   * Latent strategies: the latent vectors to render before {@linkcode propose} (hand the
   * decoder's pixels to {@linkcode render}); null for strategies on pixels.
   */
  prepare(): { latents: Float32Array; count: number; decoder: string } | null;
  /** The decoder's pixels (`count × 784`) for the latents of the last `prepare`. */
  render(pixels: Float32Array): void;
  /**
   * Images to score next (`count × 784` floats): the base first, then each step's candidates
   * (each followed by its shifted copies when the objective jitters).
   */
  propose(): { images: Float32Array; count: number };
  /**
   * Probabilities (`count × 10`) for the images of the last {@linkcode propose}: one array for
   * a single model, or one per model in the order of {@linkcode models}.
   */
  accept(probabilities: Float32Array | readonly Float32Array[]): void;
  /** The current best confidence and step, for progress displays. */
  readonly best: number;
  readonly iteration: number;
  /** The best image so far as 8-bit levels (a live view: copy it to keep it), for displays. */
  readonly image: Uint8Array;
  /** The ten probabilities of {@linkcode SearchStepper.image} (the first model's). */
  readonly probabilities: readonly number[];
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

/**
 * Images a step of this search sends to each of its models, shifted copies included (for
 * choosing how many searches share a batch).
 */
export function candidatesPerStep(options: SearchOptions): number {
  const spec = resolveStrategy(options);
  return strategyOf(spec).candidates(spec) * compileObjective(objectiveOf(options)).copies;
}

/** The objective a search maximises: its own, else its strategy's, else probability. */
function objectiveOf(options: SearchOptions): ObjectiveChoice {
  return options.objective ?? options.strategy?.objective ?? DEFAULT_OBJECTIVE;
}

// Over 80 lines: one closure holds the step machine's state (base, best image, counters, the
// optimizer), which propose and accept both change; split, that state would travel between them.
/** Creates a stepper for one search. */
export function createSearch(options: SearchOptions, prng: Prng): SearchStepper {
  const { digit, target, maxIterations, patience } = options;
  const spec = resolveStrategy(options);
  const definition = strategyOf(spec);
  const objective = compileObjective(objectiveOf(options));
  const { models, copies, shifts } = objective;
  const base = new Uint8Array(PIXELS);
  if (options.baseImage) {
    if (options.baseImage.length !== PIXELS) {
      throw new RangeError(
        `Cannot search: baseImage must hold ${PIXELS} levels (28×28), received ${options.baseImage.length}`,
      );
    }
    base.set(options.baseImage);
  } else if (options.base === "noise") {
    for (let i = 0; i < PIXELS; i++) base[i] = prng.nextInt(256);
  }
  const bestImage = base.slice();
  const trajectory: number[] = [];
  let optimizer: Optimizer | undefined;
  let best = -1, bestValue = -Infinity, initial = -1, iteration = 0, lastImprovement = 0;
  let evaluations = 0, asked = 0, queries = 0;
  let bestProbabilities: number[] = [];
  let bestConfidences: number[] = [];
  let state: "initial" | "searching" | "done" = "initial";
  let converged = false, stuck = false;
  let rendered: { images: Float32Array; count: number } | null = null;

  const finishIfDone = () => {
    if (best >= target) converged = true;
    else if (iteration - lastImprovement >= patience && iteration > 0) stuck = true;
    const spent = options.maxEvaluations !== undefined && evaluations >= options.maxEvaluations;
    if (converged || stuck || iteration >= maxIterations || spent) state = "done";
  };
  /** Each candidate followed by its shifted copies (the proposal itself without jitter). */
  const withCopies = (proposal: { images: Float32Array; count: number }) => {
    if (copies === 1) return proposal;
    const out = new Float32Array(proposal.count * copies * PIXELS);
    for (let c = 0; c < proposal.count; c++) {
      const image = proposal.images.subarray(c * PIXELS, (c + 1) * PIXELS);
      shifts.forEach(([dx, dy], k) => shiftImage(image, dx, dy, out, (c * copies + k) * PIXELS));
    }
    return { images: out, count: proposal.count * copies };
  };
  const confidencesOf = (scores: readonly Float32Array[], c: number) =>
    scores.map((s) => s[c * copies * 10 + digit]);

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
    get image() {
      return bestImage;
    },
    get probabilities() {
      return bestProbabilities;
    },
    models,
    prepare() {
      if (state !== "searching" || !optimizer!.decoder) return null;
      const { latents, count } = optimizer!.askLatents!();
      queries += count;
      return { latents, count, decoder: optimizer!.decoder };
    },
    render(pixels) {
      rendered = optimizer!.render!(pixels);
    },
    propose() {
      if (state === "done") throw new Error("Cannot propose: the search has finished");
      if (state === "initial") {
        asked = 1;
        return withCopies({ images: Float32Array.from(base, (v) => LEVEL_VALUES[v]), count: 1 });
      }
      let proposal;
      if (optimizer!.decoder) {
        if (!rendered) throw new Error("Cannot propose: the latent candidates were not rendered");
        proposal = rendered;
        rendered = null;
      } else proposal = optimizer!.ask();
      asked = proposal.count;
      return withCopies(proposal);
    },
    accept(probabilities) {
      const scores = probabilities instanceof Float32Array ? [probabilities] : probabilities;
      if (scores.length !== models.length) {
        throw new RangeError(
          `Cannot search: received the outputs of ${scores.length} model(s); expected ${models.length}`,
        );
      }
      for (const s of scores) {
        if (s.length < asked * copies * 10) {
          throw new RangeError(
            `Cannot search: the scorer returned ${s.length} probabilities for ${
              asked * copies
            } images; expected ${asked * copies * 10}`,
          );
        }
      }
      queries += asked * copies * models.length;
      if (state === "initial") {
        best = initial = objective.confidence(scores, 0, digit);
        bestValue = objective.value(scores, 0, () => base, digit);
        bestProbabilities = Array.from(scores[0].subarray(0, 10));
        bestConfidences = confidencesOf(scores, 0);
        evaluations = 1;
        optimizer = definition.create(spec, { base, baseValue: bestValue, prng });
        if (optimizer.decoder) {
          // A latent search keeps only what its decoder drew: the base is scored (and counted)
          // but is never the final image, and improvement counts from the first drawing.
          best = -1;
          bestValue = -Infinity;
        }
        state = "searching";
        finishIfDone();
        return;
      }
      const values = new Float64Array(asked);
      let bestIndex = -1, stepBest = bestValue;
      for (let c = 0; c < asked; c++) {
        values[c] = objective.value(scores, c, () => optimizer!.levelsOf(c), digit);
        if (values[c] > stepBest) stepBest = values[c];
        const p = objective.confidence(scores, c, digit);
        if (p > best) {
          best = p;
          bestIndex = c;
        }
      }
      if (bestIndex >= 0) {
        bestImage.set(optimizer!.levelsOf(bestIndex));
        const row = bestIndex * copies * 10;
        bestProbabilities = Array.from(scores[0].subarray(row, row + 10));
        bestConfidences = confidencesOf(scores, bestIndex);
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
        ...(models.length > 1
          ? { modelConfidences: Object.fromEntries(models.map((m, i) => [m, bestConfidences[i]])) }
          : {}),
        queries,
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

/** Runs one search to the end, scoring each batch with `score` (or a full {@linkcode Scoring}). */
export async function runSearch(
  score: ScoreFn | Scoring,
  options: RunSearchOptions,
): Promise<SearchResult> {
  const search = createSearch(options, options.prng);
  while (!search.done) {
    options.signal?.throwIfAborted();
    await advanceTogether([search], score);
    options.onIteration?.(search.best, search.iteration);
  }
  return search.result();
}

/**
 * Advances every unfinished search by one step: latent proposals are rendered with one decoder
 * call per decoder, then every model scores, in one call, all the images of the searches that
 * ask it. Each search sees exactly the probabilities it would see alone, so records do not
 * depend on how many searches share a batch. Returns the number of images proposed (shifted
 * copies included); `onCall` hears of every network call and the images it was given, so that
 * a caller can count network queries (each model's images, decoder renders) and batch sizes.
 */
export async function advanceTogether(
  searches: SearchStepper[],
  score: ScoreFn | Scoring,
  options: {
    onScored?: (search: SearchStepper, count: number) => void;
    onCall?: (images: number) => void;
  } = {},
): Promise<number> {
  const scoring = typeof score === "function" ? singleModel(score) : score;
  const live = searches.filter((s) => !s.done);
  if (live.length === 0) return 0;
  // Latent searches first have their candidates rendered, one decoder call per decoder.
  const renders = live.map((s) => s.prepare());
  for (const decoder of new Set(renders.flatMap((r) => (r ? [r.decoder] : [])))) {
    const group = renders.flatMap((r, i) => (r?.decoder === decoder ? [{ r, s: live[i] }] : []));
    const pixels = await scoring.decode(decoder, concat(group.map((g) => g.r.latents)), sum(group));
    options.onCall?.(sum(group));
    let offset = 0;
    for (const { r, s } of group) {
      s.render(pixels.subarray(offset * PIXELS, (offset + r.count) * PIXELS));
      offset += r.count;
    }
  }
  const proposals = live.map((s) => s.propose());
  const outputs: Float32Array[][] = live.map((s) => s.models.map(() => new Float32Array(0)));
  for (const model of new Set(live.flatMap((s) => s.models))) {
    const asking = live.flatMap((s, i) => (s.models.includes(model) ? [i] : []));
    const count = asking.reduce((n, i) => n + proposals[i].count, 0);
    const batch = asking.length === 1
      ? proposals[asking[0]].images
      : concat(asking.map((i) => proposals[i].images.subarray(0, proposals[i].count * PIXELS)));
    const probabilities = await scoring.score(model, batch, count);
    options.onCall?.(count);
    let offset = 0;
    for (const i of asking) {
      const n = proposals[i].count;
      outputs[i][live[i].models.indexOf(model)] = probabilities.subarray(
        offset * 10,
        (offset + n) * 10,
      );
      offset += n;
    }
  }
  live.forEach((s, i) => {
    options.onScored?.(s, proposals[i].count);
    s.accept(outputs[i].length === 1 ? outputs[i][0] : outputs[i]);
  });
  return proposals.reduce((n, p) => n + p.count, 0);
}

function sum(group: { r: { count: number } }[]): number {
  return group.reduce((n, g) => n + g.r.count, 0);
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
