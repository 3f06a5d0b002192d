/** Rebuilding a report from a results folder, with the scorer its baseline needs (only when missing). */

import { loadModel, type ModelRef, modelSource } from "../experiments/judge/model_file.ts";
import { UsageError } from "../common/errors.ts";
import { currentBaseline, writeReport } from "../experiments/report/write_report.ts";
import { readResultsConfig } from "../experiments/store/results_format.ts";
import { closingTable } from "../experiments/report/markdown.ts";
import { createScorer, type Scorer } from "../infer/providers.ts";
import { type ProviderName } from "../common/provider_names.ts";

/**
 * A scorer for the results' own model (checked by hash), or undefined with a note on stderr
 * when baseline.json is current already or the model is not at hand.
 */
export async function baselineScorer(
  dir: string,
  config: { model: ModelRef; provider: string; modelSha256?: string },
  modelsDir: string,
): Promise<Scorer | undefined> {
  if (await currentBaseline(dir, config)) return undefined;
  const source = modelSource(modelsDir, config.model);
  try {
    const model = await loadModel(modelsDir, config.model);
    if (model.sha256 === config.modelSha256) {
      return await createScorer(config.provider as ProviderName, model.bytes, model.scorer);
    }
    console.error(`${source} is not the model of these results: no baseline section.`);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(
        `${source} cannot be used (${error.message}): the report has no baseline section.`,
      );
    } else if (error instanceof Deno.errors.NotFound) {
      console.error(`${source} is missing: the report has no baseline section.`);
    } else throw error;
  }
  return undefined;
}

/** Writes the report of `dir` (computing its baseline if the model is at hand) and prints the table. */
export async function rebuildReport(dir: string, modelsDir: string): Promise<void> {
  const config = await readResultsConfig(dir);
  const scorer = await baselineScorer(dir, config, modelsDir);
  try {
    const summary = await writeReport(dir, {
      ...(scorer
        ? { score: (images: Float32Array, count: number) => scorer.score(images, count) }
        : {}),
      log: (line) => console.error(line),
    });
    console.log(closingTable(config, summary));
  } finally {
    await scorer?.close();
  }
}
