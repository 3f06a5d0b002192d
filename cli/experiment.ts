/** `deno task experiment CONFIG`: trains the model if missing, runs the sweep, writes the report. */

import {
  EXIT,
  formatDuration,
  intFlag,
  parseFlags,
  progressBar,
  requireAccess,
  runMain,
} from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { DEFAULT_MODELS_DIR, DEFAULT_RESULTS_DIR, writeJsonAtomic } from "../common/files.ts";
import { readConfig } from "../experiments/sweep/config.ts";
import { sweepsNewAxes } from "../experiments/sweep/axes.ts";
import {
  isExternal,
  loadModel,
  modelIsReady,
  modelLabel,
  modelSource,
} from "../experiments/judge/model_file.ts";
import { describeIo } from "../common/model_io.ts";
import { FILL_BATCH, runExperiment } from "../experiments/scheduler/runner.ts";
import { recordsFile } from "../experiments/store/records.ts";
import { parseShard, SHARD_ENV, shardFromEnv } from "../experiments/sweep/shards.ts";
import type { Summary } from "../experiments/analysis/statistics.ts";
import { closingTable } from "../experiments/report/markdown.ts";
import { createScorer } from "../infer/providers.ts";
import { type ModelName, TRAINING_DEFAULTS } from "../common/model_names.ts";
import { openSweepModels } from "./_sweep_models.ts";
import { sweepModels } from "../experiments/judge/judges.ts";
import { trainWithProgress } from "./_train_progress.ts";

const USAGE = "Usage: deno task experiment CONFIG.json [--fresh] [--parallel K] [--shard i/n] " +
  "[--results-dir results] [--models-dir models]";

/** An environment variable, or undefined when unset or not granted (no --allow-env: no scheduler). */
function readGrantedEnv(name: string): string | undefined {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted ? Deno.env.get(name) : undefined;
}

/**
 * Without the env permission a job array's tasks cannot see which shard they are, and each
 * would run the whole sweep: say so once, naming the variables and the flag.
 */
function warnIfSchedulerEnvHidden(): void {
  const hidden = SHARD_ENV.filter((name) =>
    Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted"
  );
  if (hidden.length === 0) return;
  console.error(
    `warning: environment access is not granted, so ${hidden.join(", ")} ${
      hidden.length > 1 ? "are" : "is"
    } not read: under a Slurm array or a Kubernetes Indexed Job every task would run the whole ` +
      `sweep. Run through \`deno task experiment\`, or pass --allow-env=${SHARD_ENV.join(",")} ` +
      `(or --shard i/n).`,
  );
}

if (import.meta.main) {
  await runMain(async () => {
    const { values, positionals } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        fresh: { type: "boolean", default: false },
        parallel: { type: "string" },
        shard: { type: "string" },
        "results-dir": { type: "string", default: DEFAULT_RESULTS_DIR },
        "models-dir": { type: "string", default: DEFAULT_MODELS_DIR },
      },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? "Missing the config file"
          : `Expected one config file, received ${positionals.length}: ${positionals.join(" ")}`,
        { hint: USAGE },
      );
    }
    // Everything is validated before anything is created.
    const config = await readConfig(positionals[0]);
    // Without --parallel the runner chooses: batches of ~500 images for sweeps of strategies.
    const parallel = values.parallel === undefined
      ? undefined
      : intFlag("parallel", values.parallel, { fallback: 1, max: 1024 });
    if (values.shard === undefined) warnIfSchedulerEnvHidden();
    const shard = values.shard === undefined
      ? shardFromEnv(readGrantedEnv)
      : parseShard(values.shard);
    if (shard && values.fresh) {
      throw new UsageError(
        "--fresh cannot be combined with sharding: it would delete the other shards' results",
        {
          hint: `Delete ${values["results-dir"]}/${config.name} once, before launching the shards.`,
        },
      );
    }
    const modelsDir = values["models-dir"];
    const resultsDir = `${values["results-dir"]}/${config.name}`;
    requireAccess(resultsDir, "write", { flag: "--results-dir", allowed: "results/" });
    requireAccess(modelsDir, "read", { flag: "--models-dir", allowed: "the project folder" });

    // Ctrl-C, and SIGTERM from a scheduler (scancel, a deleted pod), stop after the current
    // step with every finished cell saved. A second Ctrl-C quits at once; a second SIGTERM does
    // not (Slurm signals every process of the job and `deno task` forwards the signal too, so
    // one scancel arrives twice; the scheduler sends SIGKILL itself when its grace time is up).
    const controller = new AbortController();
    let stopCode: number = EXIT.interrupted;
    const onSigint = () => {
      if (controller.signal.aborted) Deno.exit(EXIT.interrupted);
      console.error("\nStopping after the current step (Ctrl-C again to quit at once)…");
      controller.abort();
    };
    const onSigterm = () => {
      if (controller.signal.aborted) return;
      console.error("\nSIGTERM: stopping after the current step…");
      stopCode = EXIT.terminated;
      controller.abort();
    };
    Deno.addSignalListener("SIGINT", onSigint);
    // Windows has no SIGTERM to listen for.
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", onSigterm);
    try {
      const external = isExternal(config.model);
      if (external) {
        requireAccess(modelSource(modelsDir, config.model), "read", {
          flag: '"model": { "onnx" }',
          allowed: "the project folder",
        });
      }
      // Every zoo model the sweep asks (its model, ensemble members, decoders, judges) is
      // trained on first use, one after the other, before anything runs.
      const extra = sweepModels(config);
      const zoo = [
        ...new Set([
          ...(isExternal(config.model) ? [] : [config.model]),
          ...extra.search,
          ...extra.decoders,
          ...extra.judges.filter((j): j is ModelName => typeof j === "string"),
        ]),
      ];
      for (const name of zoo) {
        if (await modelIsReady(modelsDir, name)) continue;
        if (shard) {
          throw new UsageError(
            `models/${name}.onnx is missing: shards do not train (they would all train at once)`,
            {
              hint:
                `Train it once before launching the shards: \`deno task train --model ${name}\`.`,
            },
          );
        }
        requireAccess(modelsDir, "write", { flag: "--models-dir", allowed: "models/" });
        const defaults = TRAINING_DEFAULTS[name];
        console.error(
          `models/${name}.onnx is missing: training it first (${defaults.epochs} epochs; \`deno task train --model ${name}\` does this alone)`,
        );
        const trained = await trainWithProgress(name, {
          epochs: defaults.epochs,
          ...(defaults.steps !== undefined ? { steps: defaults.steps } : {}),
          batchSize: defaults.batchSize,
          seed: defaults.seed,
          modelsDir,
          signal: controller.signal,
        });
        if (trained === null) return stopCode;
      }
      const model = await loadModel(modelsDir, config.model);
      const scorer = await createScorer(config.provider, model.bytes, model.scorer);
      let opened;
      try {
        opened = await openSweepModels(config, extra, modelsDir, scorer, model.sha256);
      } catch (error) {
        await scorer.close();
        throw error;
      }
      const also = [
        extra.search.length ? `search models ${extra.search.join(", ")}` : "",
        extra.decoders.length ? `decoder ${extra.decoders.join(", ")}` : "",
        config.judges?.length
          ? `judges ${config.judges.map((j) => (typeof j === "string" ? j : j.onnx)).join(", ")}`
          : "",
      ].filter((x) => x);
      if (also.length) console.error(`Also loaded: ${also.join("; ")}`);
      const bar = progressBar(
        `${config.name} |{bar}| {value}/{total} cells | best {best} ({cell}) | {qps} network queries/s | ETA {remaining}`,
      );
      let barStarted = false;
      console.error(
        `Experiment "${config.name}": model ${modelLabel(config.model)} (${
          external
            ? describeIo(scorer.io)
            : `test accuracy ${
              typeof model.meta?.testAccuracy === "number"
                ? (model.meta.testAccuracy * 100).toFixed(2) + " %"
                : "unknown"
            }`
        }), provider ${config.provider} on ${scorer.device}${
          shard ? `, shard ${shard.index + 1}/${shard.count}` : ""
        }${
          parallel === undefined && sweepsNewAxes(config)
            ? `, cells share batches of ${FILL_BATCH} images`
            : parallel !== undefined && parallel > 1
            ? `, ${parallel} cells per batch`
            : ""
        }`,
      );
      let outcome, summary: Summary | undefined;
      try {
        outcome = await runExperiment(config, {
          resultsDir,
          score: opened.scoring,
          modelSha256: model.sha256,
          ...(Object.keys(opened.shas).length > 0 ? { otherModels: opened.shas } : {}),
          ...(opened.judge ? { judge: opened.judge } : {}),
          fresh: values.fresh,
          ...(parallel === undefined ? {} : { parallel }),
          ...(shard ? { shard } : {}),
          signal: controller.signal,
          log: (line) => console.error(line),
          onProgress: (p) => {
            const payload = {
              best: p.currentBest === undefined ? "–" : p.currentBest.toFixed(4),
              cell: p.currentCell ?? "–",
              qps: p.queriesPerSecond.toFixed(0),
              remaining: formatDuration(p.etaSeconds),
            };
            if (!barStarted) bar.start(p.cellsTotal, p.cellsDone, payload);
            barStarted = true;
            bar.update(p.cellsDone, payload);
          },
        });
        bar.stop();
        // The results folder describes itself: the model's metadata travels with it.
        await writeJsonAtomic(`${resultsDir}/model.json`, {
          ...(model.meta ?? {}),
          ...(external ? { onnx: model.source, io: scorer.io } : {}),
          sha256Onnx: model.sha256,
          provider: config.provider,
          device: scorer.device,
        });
        if (opened.reference) {
          const { median, p95, testDistances } = opened.reference;
          await writeJsonAtomic(`${resultsDir}/reference.json`, { median, p95, testDistances });
        }
        if (!outcome.interrupted && !shard) {
          const { writeReport } = await import("../experiments/report/write_report.ts");
          summary = await writeReport(resultsDir, {
            score: (images, count) => scorer.score(images, count),
            device: scorer.device,
            log: (line) => console.error(line),
          });
        }
      } finally {
        bar.stop();
        await opened.close();
        await scorer.close();
      }
      if (outcome.interrupted) {
        console.error(
          `Interrupted: ${outcome.records.length} finished cell(s) are saved in ${resultsDir}. Re-run the same command to resume.`,
        );
        return stopCode;
      }
      if (outcome.skipped > 0) {
        console.error(
          `Resumed: ${outcome.skipped} cell(s) were already done, ${outcome.ran} ran now.`,
        );
      }
      if (shard) {
        console.log(
          `Shard ${
            shard.index + 1
          }/${shard.count} done: ${outcome.records.length} cells in ${resultsDir}/${
            recordsFile(shard)
          }. When every shard is done: \`deno task merge ${resultsDir}\`.`,
        );
        return EXIT.ok;
      }
      if (summary === undefined) throw new Error("The report was not written");
      console.log(closingTable(config, summary));
      console.log(
        `\n${summary.converged}/${summary.runs} runs reached ${config.target}; ${
          summary.queriesPerSecond.toFixed(0)
        } network queries/s. Results in ${resultsDir}/ (report.md, grid.png, runs.jsonl).`,
      );
      return EXIT.ok;
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSigterm);
    }
  });
}
