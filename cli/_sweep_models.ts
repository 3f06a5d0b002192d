/** Opens what a sweep asks besides its model: ensemble members, decoders and judges. */

import { UsageError } from "../common/errors.ts";
import type { ResolvedConfig } from "../experiments/sweep/config.ts";
import { createJudge, judgeName, type SweepModels } from "../experiments/judge/judges.ts";
import { loadModel, modelIsReady, modelLabel } from "../experiments/judge/model_file.ts";
import type { ModelName } from "../common/model_names.ts";
import { PRIMARY_MODEL } from "../experiments/search/objectives.ts";
import type { JudgeFn } from "../experiments/store/records.ts";
import type { ScoreFn, Scoring } from "../experiments/search/search.ts";
import { createDecoder, type Decoder } from "../infer/decoder.ts";
import { createScorer, type Scorer } from "../infer/providers.ts";

/** The sweep's models, open: how to score and decode, how to judge, and their hashes. */
export interface OpenSweep {
  scoring: Scoring;
  judge?: JudgeFn;
  /** sha256 of every model besides the config's, by name (for the search hash). */
  shas: Record<string, string>;
  /** With pixel judges: how near real test digits are to their nearest training digit. */
  reference?: import("../experiments/analysis/transfer.ts").DistanceReference;
  close(): Promise<void>;
}

/**
 * Refuses a model file whose sha256 does not start with the config's pin for it (`sha256` in
 * the config): the sweep would measure another network than the one its numbers name.
 */
export function checkPin(
  config: Pick<ResolvedConfig, "sha256">,
  name: string,
  sha256: string,
  modelsDir: string,
): void {
  const pin = config.sha256?.[name];
  if (pin === undefined || sha256.startsWith(pin)) return;
  throw new UsageError(
    `Model ${name} in ${modelsDir}/ is not the one the config pins: its ONNX sha256 is ${
      sha256.slice(0, 16)
    }…, the config's "sha256.${name}" is ${pin}`,
    {
      hint:
        `Train it by its recipe (deno task train --model ${name} --models-dir ${modelsDir}, without --workers, --seed, --epochs, --steps or --limit), or drop the pin to measure this file instead.`,
    },
  );
}

/** The ONNX sha256 of each of `names` already in `modelsDir` (a missing one is left out). */
export async function presentShas(
  names: readonly ModelName[],
  modelsDir: string,
): Promise<Record<string, string>> {
  const shas: Record<string, string> = {};
  for (const name of names) {
    if (await modelIsReady(modelsDir, name)) shas[name] = (await loadModel(modelsDir, name)).sha256;
  }
  return shas;
}

/** {@linkcode checkPin} for every model of `shas`: a wrong file is refused before anything runs. */
export function checkPins(
  config: Pick<ResolvedConfig, "sha256">,
  shas: Record<string, string>,
  modelsDir: string,
): void {
  for (const [name, sha256] of Object.entries(shas)) checkPin(config, name, sha256, modelsDir);
}

// Over 80 lines: opens models one by one and must close every one already open when a later one
// fails; one function keeps that cleanup in one place.
/**
 * Opens every model of `extra` (each on the config's provider; decoders on the CPU) beside the
 * config's `primary` scorer, and the pixel judges when the config names any.
 */
export async function openSweepModels(
  config: ResolvedConfig,
  extra: SweepModels,
  modelsDir: string,
  primary: Scorer,
  primarySha256: string,
): Promise<OpenSweep> {
  const scorers = new Map<string, Scorer>();
  const decoders = new Map<string, Decoder>();
  const shas: Record<string, string> = {};
  const primaryName = modelLabel(config.model);
  let pixel: import("../experiments/judge/pixel_judges.ts").PixelJudges | undefined;
  const close = async () => {
    for (const s of scorers.values()) await s.close();
    for (const d of decoders.values()) await d.close();
    await pixel?.close();
  };
  try {
    const searchFiles = new Map([[primarySha256, primaryName]]);
    for (const ref of [...extra.search, ...extra.judges]) {
      const name = modelLabel(ref);
      if (name === primaryName || scorers.has(name)) continue;
      const loaded = await loadModel(modelsDir, ref);
      checkPin(config, name, loaded.sha256, modelsDir);
      // A judge must not be a search model under another name (the same file).
      const twin = searchFiles.get(loaded.sha256);
      if (twin !== undefined && extra.judges.includes(ref as never)) {
        throw new UsageError(
          `Judge ${name} is the same file as the search model ${twin}: a judge must take no part in the search`,
          { hint: 'Judge with a model of another seed or shape (e.g. "cnn-s2" or "lenet").' },
        );
      }
      if (extra.search.includes(ref as never)) searchFiles.set(loaded.sha256, name);
      scorers.set(name, await createScorer(config.provider, loaded.bytes, loaded.scorer));
      shas[name] = loaded.sha256;
    }
    for (const name of extra.decoders) {
      const loaded = await loadModel(modelsDir, name);
      checkPin(config, name, loaded.sha256, modelsDir);
      decoders.set(name, await createDecoder(loaded.bytes, loaded.source));
      shas[name] = loaded.sha256;
    }
    if (extra.pixelJudges.length > 0) {
      const { createPixelJudges } = await import("../experiments/judge/pixel_judges.ts");
      pixel = await createPixelJudges({
        cachePath: `${modelsDir}/mnist-reference.json`,
        log: (line) => console.error(line),
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const scorerOf = (name: string): Scorer => {
    const s = name === PRIMARY_MODEL || name === primaryName ? primary : scorers.get(name);
    if (!s) throw new Error(`Cannot score with model "${name}": it is not loaded`);
    return s;
  };
  const scoring: Scoring = {
    score: (name, images, count) => scorerOf(name).score(images, count),
    decode: (name, latents, count) => {
      const d = decoders.get(name);
      if (!d) throw new Error(`Cannot decode with "${name}": it is not loaded`);
      return d.decode(latents, count);
    },
  };
  const judge = config.judges
    ? createJudge(config.judges, {
      models: new Map(
        extra.judges.map((j): [string, ScoreFn] => {
          const s = scorerOf(judgeName(j));
          return [judgeName(j), (images, count) => s.score(images, count)];
        }),
      ),
      ...(pixel ? { pixel } : {}),
    })
    : undefined;
  return {
    scoring,
    ...(judge ? { judge } : {}),
    shas,
    ...(pixel ? { reference: pixel.reference } : {}),
    close,
  };
}
