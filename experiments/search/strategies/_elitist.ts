/**
 * The (1+λ) elitist loop shared by the mutation strategies: λ children of the parent, each
 * changed by the strategy's mutation; the best child replaces the parent only if it improves
 * the objective (the first of equals wins).
 */

import type { Prng } from "../../../common/prng.ts";
import { levelsToFloats, type Optimizer, PIXELS, type StrategyStart } from "./strategy.ts";

/** What an elitist strategy supplies. */
export interface Mutation {
  /** Changes `child` (a copy of the parent) in place. */
  mutate(child: Uint8Array, prng: Prng, step: number): void;
  /**
   * Called after every step with whether the parent improved (for step-size rules), the
   * objective of each child, and the objective of the parent they were made from.
   */
  after?(improved: boolean, values: Float64Array, parentValue: number): void;
}

/** An elitist optimiser with `lambda` children per step. */
export function createElitist(start: StrategyStart, lambda: number, mutation: Mutation): Optimizer {
  const parent = start.base.slice();
  let parentValue = start.baseValue;
  const children = new Uint8Array(lambda * PIXELS);
  const floats = new Float32Array(lambda * PIXELS);
  let step = 0;
  return {
    ask() {
      for (let c = 0; c < lambda; c++) {
        const child = children.subarray(c * PIXELS, (c + 1) * PIXELS);
        child.set(parent);
        mutation.mutate(child, start.prng, step);
        levelsToFloats(child, floats, c * PIXELS);
      }
      return { images: floats, count: lambda };
    },
    levelsOf(index) {
      return children.subarray(index * PIXELS, (index + 1) * PIXELS);
    },
    tell(values) {
      const before = parentValue;
      let best = -1;
      for (let c = 0; c < lambda; c++) {
        if (values[c] > (best < 0 ? parentValue : values[best])) best = c;
      }
      if (best >= 0) {
        parent.set(children.subarray(best * PIXELS, (best + 1) * PIXELS));
        parentValue = values[best];
      }
      step++;
      mutation.after?.(best >= 0, values, before);
    },
  };
}
