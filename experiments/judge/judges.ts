/**
 * What a sweep asks besides its config's model: the search models of ensemble objectives, the
 * decoders of latent strategies, and the judges; and the judging of a finished image.
 */

import type { ExternalModel, JudgeRef, ResolvedConfig } from "../sweep/config.ts";
import { PIXEL_JUDGES, searchModelNames } from "../sweep/config.ts";
import { decoderNames } from "../sweep/search_models.ts";
import { modelLabel } from "./model_file.ts";
import type { JudgeFn, Verdict } from "../store/records.ts";
import type { ScoreFn } from "../search/search.ts";
import type { PixelJudges } from "./pixel_judges.ts";
import { LEVEL_VALUES } from "../search/strategies/strategy.ts";
import type { ModelName } from "../../common/model_names.ts";

/** A pixel judge's name. */
export type PixelJudgeName = typeof PIXEL_JUDGES[number];

/** Every model a sweep loads besides its config's model. */
export interface SweepModels {
  /** Zoo classifiers that ensemble objectives name (the config's model left out). */
  search: ModelName[];
  /** Generators whose decoders latent strategies use. */
  decoders: ModelName[];
  /** Classifiers that judge (zoo names or external files). */
  judges: (ModelName | ExternalModel)[];
  pixelJudges: PixelJudgeName[];
}

const isPixelJudge = (j: JudgeRef): j is PixelJudgeName =>
  typeof j === "string" && (PIXEL_JUDGES as readonly string[]).includes(j);

/** What `config` asks besides its own model. */
export function sweepModels(config: ResolvedConfig): SweepModels {
  // The config's model comes first and is opened on its own: the others are what is extra.
  const search = searchModelNames(config).slice(1) as ModelName[];
  const decoders = decoderNames(config.strategies) as ModelName[];
  const judges = (config.judges ?? []).filter((j) => !isPixelJudge(j)) as (
    | ModelName
    | ExternalModel
  )[];
  return {
    search,
    decoders,
    judges,
    pixelJudges: (config.judges ?? []).filter(isPixelJudge),
  };
}

/** A judge's name in records and reports: its zoo name, file path or pixel-judge name. */
export function judgeName(judge: JudgeRef): string {
  return typeof judge === "string" ? judge : modelLabel(judge);
}

/**
 * Judges an image with every judge of the config, in the config's order: model judges by their
 * argmax (and target probability), pixel judges by the nearest training digit or digit mean.
 */
export function createJudge(
  judges: JudgeRef[],
  options: { models: Map<string, ScoreFn>; pixel?: PixelJudges },
): JudgeFn {
  return async (levels, digit) => {
    const image = Float32Array.from(levels, (v) => LEVEL_VALUES[v]);
    const verdicts: Record<string, Verdict> = {};
    const needsNeighbour = judges.some((j) => j === "nearest" || j === "plausible");
    const neighbour = needsNeighbour ? (await options.pixel!.nearest(image, 1))[0] : undefined;
    for (const judge of judges) {
      const name = judgeName(judge);
      if (judge === "nearest") {
        verdicts[name] = {
          label: neighbour!.label,
          target: neighbour!.label === digit,
          distance: round(neighbour!.distance),
        };
      } else if (judge === "plausible") {
        const near = neighbour!.distance <= options.pixel!.reference.p95;
        verdicts[name] = {
          label: neighbour!.label,
          target: near && neighbour!.label === digit,
          distance: round(neighbour!.distance),
        };
      } else if (judge === "mean") {
        const { label, correlation } = options.pixel!.nearestMean(image);
        verdicts[name] = { label, target: label === digit, correlation: round(correlation) };
      } else {
        const score = options.models.get(name);
        if (!score) throw new Error(`Cannot judge: the judge ${name} is not loaded`);
        const p = await score(image, 1);
        let label = 0;
        for (let k = 1; k < 10; k++) if (p[k] > p[label]) label = k;
        verdicts[name] = { label, target: label === digit, p: round(p[digit]) };
      }
    }
    return verdicts;
  };
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
