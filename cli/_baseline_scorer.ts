/** Opens the scorer a report needs for its baseline, only when baseline.json is missing. */

import { exists } from "../common/files.ts";
import { readModel } from "../experiments/model_file.ts";
import { createScorer, type ProviderName, type Scorer } from "../infer/providers.ts";

/**
 * A scorer for the results' own model (checked by hash), or undefined with a note on stderr
 * when baseline.json exists already or the model is not at hand.
 */
export async function baselineScorer(
  dir: string,
  config: { model: string; provider: string; modelSha256?: string },
  modelsDir: string,
): Promise<Scorer | undefined> {
  if (await exists(`${dir}/baseline.json`)) return undefined;
  try {
    const model = await readModel(modelsDir, config.model);
    if (model.sha256 === config.modelSha256) {
      return await createScorer(config.provider as ProviderName, model.bytes);
    }
    console.error(
      `models/${config.model}.onnx is not the model of these results: no baseline section.`,
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error(`models/${config.model}.onnx is missing: the report has no baseline section.`);
  }
  return undefined;
}
