/**
 * What a search maximises: a function of one image's ten probabilities and the target digit.
 * Convergence never depends on it: a run converges when the target's probability reaches
 * the config's target on the exact 8-bit image.
 */

/** The names a config may give as `objective`. */
export const OBJECTIVE_NAMES = ["probability", "logprob", "margin"] as const;

/** An objective's name. */
export type ObjectiveName = typeof OBJECTIVE_NAMES[number];

/** The seed's objective; records of cells with it carry no `objective` field. */
export const DEFAULT_OBJECTIVE: ObjectiveName = "probability";

/** The smallest probability a logarithm is taken of (float32 underflows below ~1e-45). */
const FLOOR = 1e-45;

/** Scores row `row` of `probabilities` (rows of 10) for `digit`; higher is better. */
export type Objective = (probabilities: Float32Array, row: number, digit: number) => number;

/** Every objective by name, with a one-line description for reports and `--help`. */
export const OBJECTIVES: Readonly<
  Record<ObjectiveName, { evaluate: Objective; description: string }>
> = Object.freeze({
  probability: {
    description: "p(target), the seed's choice; saturates near 1",
    evaluate: (p, row, digit) => p[row * 10 + digit],
  },
  logprob: {
    description: "log p(target); keeps a gradient near 1",
    evaluate: (p, row, digit) => Math.log(Math.max(p[row * 10 + digit], FLOOR)),
  },
  margin: {
    description: "log p(target) − max over other digits of log p; the Square Attack / CW loss",
    evaluate: (p, row, digit) => {
      let rival = 0;
      for (let k = 0; k < 10; k++) if (k !== digit) rival = Math.max(rival, p[row * 10 + k]);
      return Math.log(Math.max(p[row * 10 + digit], FLOOR)) - Math.log(Math.max(rival, FLOOR));
    },
  },
});

/** How the per-model (and per-copy) objectives of an ensemble become one number. */
export const COMBINE_NAMES = ["min", "mean"] as const;

/**
 * An objective with more to it than one model's view of the exact image: an ensemble of models,
 * shifted copies (transformation robustness), and penalties on clutter. The plain names above
 * are this with one model, no copies and no penalties.
 */
export interface ObjectiveSpec {
  name: ObjectiveName;
  /** The search models (zoo names); absent: the config's `model`. */
  models?: string[];
  /** How the models' (and copies') objectives combine: the worst ("min") or the average. */
  combine: typeof COMBINE_NAMES[number];
  /** Each candidate is also scored shifted by 1…`jitter` pixels left, right, up and down. */
  jitter: number;
  /** Weight of the total variation (sum of |differences| of neighbouring pixels, per 100). */
  tv: number;
  /** Weight of the ink (sum of pixel values, per 100). */
  ink: number;
}

/** An objective as a config gives it: a name, or an {@linkcode ObjectiveSpec}. */
export type ObjectiveChoice = ObjectiveName | ObjectiveSpec;

/** The key under which a search names the config's own model. */
export const PRIMARY_MODEL = "";

/** The objective's base name. */
export function objectiveName(choice: ObjectiveChoice): ObjectiveName {
  return typeof choice === "string" ? choice : choice.name;
}

/** The models an objective asks (keys: {@linkcode PRIMARY_MODEL} for the config's model). */
export function objectiveModels(choice: ObjectiveChoice): readonly string[] {
  return typeof choice === "string" || !choice.models ? [PRIMARY_MODEL] : choice.models;
}

/** An objective as tables and legends show it, e.g. "margin, min of cnn + mlp, jitter 1, tv 0.1". */
export function objectiveLabel(choice: ObjectiveChoice): string {
  if (typeof choice === "string") return choice;
  const parts: string[] = [choice.name];
  if (choice.models && choice.models.length > 1) {
    parts.push(`${choice.combine} of ${choice.models.join(" + ")}`);
  } else if (choice.models) parts.push(choice.models[0]);
  if (choice.jitter > 0) parts.push(`jitter ${choice.jitter}`);
  if (choice.tv > 0) parts.push(`tv ${choice.tv}`);
  if (choice.ink > 0) parts.push(`ink ${choice.ink}`);
  return parts.join(", ");
}

/** The pixel shifts each candidate is scored at: (0, 0) first. */
export function jitterShifts(jitter: number): [number, number][] {
  const shifts: [number, number][] = [[0, 0]];
  for (let s = 1; s <= jitter; s++) shifts.push([s, 0], [-s, 0], [0, s], [0, -s]);
  return shifts;
}

/** Writes `image` (784 floats) shifted by (dx, dy) into `out` at `offset`; the rest black. */
export function shiftImage(
  image: Float32Array,
  dx: number,
  dy: number,
  out: Float32Array,
  offset: number,
): void {
  out.fill(0, offset, offset + 784);
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= 28) continue;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < 28) out[offset + y * 28 + x] = image[sy * 28 + sx];
    }
  }
}

/** Total variation of 8-bit levels: Σ |horizontal and vertical differences| / 255 / 100. */
export function totalVariation(levels: Uint8Array): number {
  let sum = 0;
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = levels[y * 28 + x];
      if (x < 27) sum += Math.abs(v - levels[y * 28 + x + 1]);
      if (y < 27) sum += Math.abs(v - levels[(y + 1) * 28 + x]);
    }
  }
  return sum / 255 / 100;
}

/** Ink of 8-bit levels: Σ level / 255 / 100 (a typical MNIST digit: about 1). */
export function ink(levels: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < levels.length; i++) sum += levels[i];
  return sum / 255 / 100;
}

/**
 * An objective ready to evaluate: for candidate `c`, `value` reads every model's probabilities
 * of every copy (`scores[m]` holds `candidates × copies` rows of 10, copies of a candidate
 * adjacent) and the candidate's levels; `confidence` is the least target probability over the
 * models on the exact (unshifted) image, the number convergence is judged by.
 */
export interface CompiledObjective {
  models: readonly string[];
  /** Copies scored per candidate (1 + 4 × jitter). */
  copies: number;
  shifts: [number, number][];
  value(
    scores: readonly Float32Array[],
    c: number,
    levels: () => Uint8Array,
    digit: number,
  ): number;
  confidence(scores: readonly Float32Array[], c: number, digit: number): number;
}

/** Compiles an objective name or spec. A plain name evaluates exactly as before ensembles. */
export function compileObjective(choice: ObjectiveChoice): CompiledObjective {
  const evaluate = OBJECTIVES[objectiveName(choice)].evaluate;
  const models = objectiveModels(choice);
  if (typeof choice === "string") {
    return {
      models,
      copies: 1,
      shifts: [[0, 0]],
      value: (scores, c, _levels, digit) => evaluate(scores[0], c, digit),
      confidence: (scores, c, digit) => scores[0][c * 10 + digit],
    };
  }
  const shifts = jitterShifts(choice.jitter), copies = shifts.length;
  const mean = choice.combine === "mean";
  return {
    models,
    copies,
    shifts,
    value(scores, c, levels, digit) {
      let combined = mean ? 0 : Infinity;
      for (const s of scores) {
        for (let k = 0; k < copies; k++) {
          const v = evaluate(s, c * copies + k, digit);
          combined = mean ? combined + v : Math.min(combined, v);
        }
      }
      if (mean) combined /= scores.length * copies;
      if (choice.tv > 0) combined -= choice.tv * totalVariation(levels());
      if (choice.ink > 0) combined -= choice.ink * ink(levels());
      return combined;
    },
    confidence(scores, c, digit) {
      let least = Infinity;
      for (const s of scores) least = Math.min(least, s[c * copies * 10 + digit]);
      return least;
    },
  };
}
