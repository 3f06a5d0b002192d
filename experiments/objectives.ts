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
