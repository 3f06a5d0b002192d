/** The models a config's searches ask, by name: pure (the studio's pages read it too). */

import { type ObjectiveChoice, objectiveModels, PRIMARY_MODEL } from "../search/objectives.ts";

/** The config fields that name search models. */
export interface SearchModelFields {
  model: string | { onnx: string };
  objectives: readonly ObjectiveChoice[];
  strategies: readonly { objective?: ObjectiveChoice }[];
}

/**
 * Every model the config's searches ask, by name (an external model by its path): the config's
 * model first, then the models of its objectives and of strategies' pinned objectives.
 */
export function searchModelNames(config: SearchModelFields): string[] {
  const primary = typeof config.model === "string" ? config.model : config.model.onnx;
  return [
    ...new Set([
      primary,
      ...[...config.objectives, ...config.strategies.flatMap((s) => s.objective ?? [])]
        .flatMap((o) => objectiveModels(o).map((m) => (m === PRIMARY_MODEL ? primary : m))),
    ]),
  ];
}

/** The decoders the latent strategies among `strategies` render with (default "vae"). */
export function decoderNames(
  strategies: readonly { name: string; decoder?: unknown }[],
): string[] {
  return [
    ...new Set(strategies.flatMap((s) => s.name === "latent" ? [String(s.decoder ?? "vae")] : [])),
  ];
}
