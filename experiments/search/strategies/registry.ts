/** Every search strategy by name: the config schema and the runner look strategies up here. */

import { z } from "zod";
import { UsageError } from "../../../common/errors.ts";
import { OBJECTIVE_NAMES } from "../objectives.ts";
import { es } from "./es.ts";
import { greedy } from "./greedy.ts";
import { latent } from "./latent.ts";
import { nes } from "./nes.ts";
import { sketch } from "./sketch.ts";
import { square } from "./square.ts";
import { stroke } from "./stroke.ts";
import type { StrategyDefinition, StrategySpec } from "./strategy.ts";

/** The registry: adding a strategy is one file and one entry here. */
export const STRATEGIES: Readonly<Record<string, StrategyDefinition>> = Object.freeze(
  Object.fromEntries(
    ([greedy, square, nes, es, stroke, sketch, latent] as unknown as StrategyDefinition[]).map((
      s,
    ) => [
      s.name,
      s,
    ]),
  ),
);

/** The strategy names, in the registry's order. */
export const STRATEGY_NAMES: readonly string[] = Object.keys(STRATEGIES);

/**
 * The schema of one strategy object in a config: `{ "name": …, …parameters }`, plus an
 * optional `objective` that pins this strategy's objective (the objective axis then skips it).
 */
export const StrategySchema = z.discriminatedUnion(
  "name",
  Object.values(STRATEGIES).map((s) =>
    (s.schema as unknown as z.ZodObject).extend({
      objective: z.enum(OBJECTIVE_NAMES).optional()
        .describe("This strategy's own objective, instead of the config's objective axis"),
    })
  ) as unknown as [
    z.ZodObject<{ name: z.ZodLiteral<string> }>,
    ...z.ZodObject<{ name: z.ZodLiteral<string> }>[],
  ],
);

/** The seed's strategy, the default. */
export const DEFAULT_STRATEGY: StrategySpec = Object.freeze({ name: "greedy" });

/** The registered strategy of `spec`; an unknown name is a usage error listing the valid ones. */
export function strategyOf(spec: StrategySpec): StrategyDefinition {
  const definition = STRATEGIES[spec.name];
  if (!definition) {
    throw new UsageError(
      `Unknown strategy "${spec.name}"; valid strategies: ${STRATEGY_NAMES.join(", ")}`,
    );
  }
  return definition;
}
