/** `deno task experiment CONFIG`: trains the model if missing, runs the sweep, writes the report. */

import {
  EXIT,
  type Flags,
  formatDuration,
  intFlag,
  modelsDirFlag,
  parseFlags,
  progressBar,
  requireAccess,
  resultsDirFlag,
  runMain,
  shownPath,
} from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { exists, PROJECT_ROOT, writeJsonAtomic } from "../common/files.ts";
import { readConfig, searchHash } from "../experiments/sweep/config.ts";
import { readStoredConfig } from "../experiments/store/results_format.ts";
import { searchChanges } from "../experiments/store/folder.ts";
import { cellKey, sweepsNewAxes } from "../experiments/sweep/axes.ts";
import { readRecords } from "../experiments/store/records_io.ts";
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
import type { RunOutcome, RunProgress } from "../experiments/scheduler/runner.ts";
import type { ResolvedConfig } from "../experiments/sweep/config.ts";
import type { Shard } from "../experiments/sweep/shards.ts";
import type { SweepModels } from "../experiments/judge/judges.ts";
import type { Scorer } from "../infer/providers.ts";
import { closingTable } from "../experiments/report/markdown.ts";
import { createScorer } from "../infer/providers.ts";
import { type ModelName, TRAINING_DEFAULTS } from "../common/model_names.ts";
import { checkPin, checkPins, openSweepModels, presentShas } from "./_sweep_models.ts";
import { sweepModels } from "../experiments/judge/judges.ts";
import { trainWithProgress } from "./_train_progress.ts";
import { defaultWorkersFor } from "../train/workers.ts";

const USAGE = "Usage: deno task experiment CONFIG.json [--fresh] [--parallel K] [--shard i/n] " +
  "[--dry-run] [--results-dir results] [--models-dir models]";

/** Every flag of `deno task experiment`, with what its help says. */
const EXPERIMENT_FLAGS = {
  fresh: {
    type: "boolean",
    default: false,
    description:
      "delete the results folder's earlier runs and start over (otherwise a rerun resumes)",
  },
  parallel: {
    type: "string",
    arg: "K",
    description:
      "cells scored together in one provider call (1–1024); raise it on a GPU. Records are the same for every K",
    shownDefault:
      "cells join until a step's batch holds ~500 images, one at a time for the seed's search alone",
  },
  shard: {
    type: "string",
    arg: "i/n",
    description:
      "run the i-th of n disjoint parts of the sweep into runs.<i>-of-<n>.jsonl (then deno task merge results/<name>)",
    shownDefault:
      "the whole sweep, or under a scheduler SLURM_ARRAY_TASK_ID (a Slurm array) or JOB_COMPLETION_INDEX with IDENTIKIT_SHARD_COUNT (a Kubernetes Indexed Job)",
  },
  "dry-run": {
    type: "boolean",
    default: false,
    description:
      "print the cells (per setting, and those the results folder already holds), the models it would train, and the longest it can take at this machine's measured rates; create nothing",
  },
  "results-dir": resultsDirFlag(
    "the folder the sweep's folder <name>/ goes in (the task may write only under results/; another is refused with exit 2)",
  ),
  "models-dir": modelsDirFlag(
    "where models are read, and trained when missing (training needs a folder under models/)",
  ),
} as const satisfies Flags;

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

/** The configs of configs/ with the first sentence of each description, one per line. */
export async function configList(dir = `${PROJECT_ROOT}/configs`): Promise<string> {
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".json") && e.name !== "schema.json") files.push(e.name);
  }
  const lines = await Promise.all(
    files.sort().map(async (file) => {
      let about = "";
      try {
        const description = JSON.parse(await Deno.readTextFile(`${dir}/${file}`)).description;
        if (typeof description === "string") about = firstSentence(description);
      } catch {
        about = "(not valid JSON)";
      }
      return [`configs/${file}`, about];
    }),
  );
  const width = Math.max(...lines.map(([f]) => f.length)) + 2;
  return lines.map(([f, about]) => `  ${f.padEnd(width)}${about}`.trimEnd()).join("\n");
}

/** A description's first sentence, at most 110 characters. */
function firstSentence(text: string): string {
  const end = text.search(/[.:;](\s|$)/);
  const sentence = end === -1 ? text : text.slice(0, end);
  return sentence.length > 110 ? `${sentence.slice(0, 109)}…` : sentence;
}

/** The command line, checked: everything is validated before anything is created. */
async function parseArguments(args: string[]): Promise<{
  config: ResolvedConfig;
  parallel?: number;
  shard?: Shard;
  fresh: boolean;
  dryRun: boolean;
  modelsDir: string;
  resultsDir: string;
}> {
  const { values, positionals } = parseFlags(args, {
    usage: USAGE,
    flags: EXPERIMENT_FLAGS,
  });
  if (positionals.length === 0) {
    throw new UsageError("Missing the config file", {
      hint: `${USAGE}\n\nThe configs in configs/:\n${await configList()}`,
    });
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `Expected one config file, received ${positionals.length}: ${positionals.join(" ")}`,
      { hint: USAGE },
    );
  }
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
  return {
    config,
    ...(parallel === undefined ? {} : { parallel }),
    ...(shard ? { shard } : {}),
    fresh: values.fresh,
    dryRun: values["dry-run"],
    modelsDir,
    resultsDir,
  };
}

/**
 * Ctrl-C, and SIGTERM from a scheduler (scancel, a deleted pod), stop after the current step
 * with every finished cell saved. A second Ctrl-C quits at once; a second SIGTERM does not
 * (Slurm signals every process of the job and `deno task` forwards the signal too, so one
 * scancel arrives twice; the scheduler sends SIGKILL itself when its grace time is up).
 */
function listenForStop(): { signal: AbortSignal; code: () => number; remove: () => void } {
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
  return {
    signal: controller.signal,
    code: () => stopCode,
    remove: () => {
      Deno.removeSignalListener("SIGINT", onSigint);
      if (Deno.build.os !== "windows") Deno.removeSignalListener("SIGTERM", onSigterm);
    },
  };
}

/**
 * Trains every zoo model the sweep asks (its model, ensemble members, decoders, judges) that is
 * missing, one after the other, before anything runs. False when stopped meanwhile.
 */
/**
 * `--dry-run`: the cells, those already done, the models to train, and the longest the rest can
 * take: every run to its limit, at the network queries per second measured now on the config's
 * model and provider (a second of scoring 500-image batches). Reads only.
 */
async function printPlan(
  config: ResolvedConfig,
  { modelsDir, resultsDir, shard, fresh }: {
    modelsDir: string;
    resultsDir: string;
    shard?: Shard;
    fresh: boolean;
  },
): Promise<void> {
  const { sweepPlan } = await import("../experiments/sweep/plan.ts");
  const extra = sweepModels(config);
  const zoo = zooModels(config, extra);
  // The pins of the files present, as a run checks them first (a wrong one: exit 2 here too).
  const shas = await presentShas(zoo, modelsDir);
  checkPins(config, shas, modelsDir);
  const doneKeys = new Set<string>();
  let refused: string | null = null;
  const stored = `${resultsDir}/config.json`;
  if (!fresh && (await exists(stored))) {
    const previous = { ...(await readStoredConfig(stored)).config } as Record<string, unknown>;
    // The search hash needs every model's bytes: with one still to train, or an external
    // model or judge (not hashed here), the folder's own is taken as this search's.
    const primary = isExternal(config.model) ? null : shas[config.model];
    const external = extra.judges.some((j) => typeof j !== "string");
    if (primary && !external && zoo.every((m) => shas[m])) {
      const otherModels = zoo.length > 1
        ? Object.fromEntries(Object.entries(shas).filter(([m]) => m !== config.model))
        : undefined;
      const hash = await searchHash(config, primary, otherModels);
      if (hash !== previous.searchHash) {
        const now = { ...config, modelSha256: primary, ...(otherModels ? { otherModels } : {}) };
        refused = searchChanges(previous, now).join("; ");
      }
    }
    if (refused === null) {
      const file = `${resultsDir}/${recordsFile(shard)}`;
      if (await exists(file)) {
        const { records } = await readRecords(file, { skipTorn: true });
        for (const r of records) if (r.searchHash === previous.searchHash) doneKeys.add(cellKey(r));
      }
    }
  }
  const plan = sweepPlan(config, { ...(shard ? { shard } : {}), doneKeys });
  const lines = [
    `Experiment "${config.name}"${shard ? ` (shard ${shard.index + 1}/${shard.count})` : ""}: ${
      plan.cells.toLocaleString("en-US")
    } cells in ${plan.settings.length} setting(s); ${shownPath(resultsDir)}/${
      shard ? recordsFile(shard) : ""
    } holds ${plan.done} of them${fresh ? " (--fresh: none counted)" : ""}.`,
    ...(refused === null ? [] : [
      `That folder holds another search (${
        refused || "its search hash differs"
      }): a run would be refused unless --fresh (which deletes it) or the config gets another "name".`,
    ]),
    "",
    "| setting | cells | done | queries per step | most queries left |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...plan.settings.map((s) =>
      `| ${s.label} | ${s.cells} | ${s.done} | ${s.stepQueries} | ${
        s.maxQueries.toLocaleString("en-US")
      } |`
    ),
    "",
  ];
  const missing = zoo.filter((m) => shas[m] === undefined);
  const at = shownPath(modelsDir);
  const toTrain: string[] = [];
  for (const m of missing) {
    const d = TRAINING_DEFAULTS[m];
    toTrain.push(
      `${m} (${(d.steps ?? d.epochs).toLocaleString("en-US")} ${
        d.steps ? "steps" : "epochs"
      }${await trainingEstimate(
        m,
        modelsDir,
      )})`,
    );
  }
  lines.push(
    missing.length === 0
      ? `Models: all in ${at}/ (${zoo.join(", ") || modelLabel(config.model)}).`
      : `Would train first, into ${at}/: ${toTrain.join(", ")}.`,
  );
  const rate = await measuredRate(config, modelsDir);
  lines.push(
    rate === null
      ? `Time: unknown until ${
        modelLabel(config.model)
      } is trained (its queries per second are measured on it).`
      : `Time: at most ${
        formatDuration(plan.maxQueries / rate)
      } of search (every run to its limit; most stop sooner) at ${
        Math.round(rate).toLocaleString("en-US")
      } network queries/s, measured now on ${
        modelLabel(config.model)
      } with ${config.provider} (one process: shards side by side each get about this per core).`,
    "Nothing was created: drop --dry-run to run it.",
  );
  console.log(lines.join("\n"));
}

/** Network queries per second of the config's model on its provider, or null when missing. */
async function measuredRate(config: ResolvedConfig, modelsDir: string): Promise<number | null> {
  if (!isExternal(config.model) && !(await modelIsReady(modelsDir, config.model))) return null;
  const model = await loadModel(modelsDir, config.model);
  const scorer = await createScorer(config.provider, model.bytes, model.scorer);
  try {
    const batch = 500, images = new Float32Array(batch * 784);
    await scorer.score(images, batch); // warm-up
    let scored = 0;
    const start = performance.now();
    while (performance.now() - start < 1000) {
      await scorer.score(images, batch);
      scored += batch;
    }
    return scored / ((performance.now() - start) / 1000);
  } finally {
    await scorer.close();
  }
}

/**
 * How long training `name` would take here: its recipe's images at the samples per second that
 * a model of the same architecture and worker count trained at in this models folder, if one was.
 */
async function trainingEstimate(name: ModelName, modelsDir: string): Promise<string> {
  const d = TRAINING_DEFAULTS[name];
  const images = d.steps !== undefined ? d.steps * d.batchSize : d.epochs * (60000 - (d.skip ?? 0));
  const entries = await Array.fromAsync(Deno.readDir(modelsDir)).catch(() => []);
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.name.endsWith(".json")) continue;
    const meta = await Deno.readTextFile(`${modelsDir}/${e.name}`).then(JSON.parse).catch(() =>
      null
    );
    const workers = defaultWorkersFor(name, d.batchSize);
    if (
      meta?.architecture === d.architecture && meta.samplesPerSecond > 0 &&
      (meta.workers ?? 1) === workers
    ) {
      return `, about ${formatDuration(images / meta.samplesPerSecond)} at the ${
        Math.round(meta.samplesPerSecond)
      } images/s ${meta.model} trained at here`;
    }
  }
  return "";
}

/** The zoo models a sweep needs: its model, its objectives' and strategies', its judges. */
function zooModels(config: ResolvedConfig, extra: SweepModels): ModelName[] {
  return [
    ...new Set([
      ...(isExternal(config.model) ? [] : [config.model]),
      ...extra.search,
      ...extra.decoders,
      ...extra.judges.filter((j): j is ModelName => typeof j === "string"),
    ]),
  ];
}

async function trainMissing(
  config: ResolvedConfig,
  extra: SweepModels,
  options: { modelsDir: string; shard?: Shard; signal: AbortSignal },
): Promise<boolean> {
  const { modelsDir, shard } = options;
  const at = shownPath(modelsDir);
  const dirFlag = at === "models" ? "" : ` --models-dir ${at}`;
  for (const name of zooModels(config, extra)) {
    if (await modelIsReady(modelsDir, name)) continue;
    if (shard) {
      throw new UsageError(
        `${at}/${name}.onnx is missing: shards do not train (they would all train at once)`,
        {
          hint:
            `Train it once before launching the shards: \`deno task train --model ${name}${dirFlag}\`.`,
        },
      );
    }
    requireAccess(modelsDir, "write", { flag: "--models-dir", allowed: "models/" });
    const defaults = TRAINING_DEFAULTS[name];
    console.error(
      `${at}/${name}.onnx is missing: training it first (${defaults.epochs} epochs; \`deno task train --model ${name}${dirFlag}\` does this alone)`,
    );
    const trained = await trainWithProgress(name, {
      epochs: defaults.epochs,
      ...(defaults.steps !== undefined ? { steps: defaults.steps } : {}),
      batchSize: defaults.batchSize,
      seed: defaults.seed,
      modelsDir,
      signal: options.signal,
    });
    if (trained === null) return false;
  }
  return true;
}

/** What was loaded and how the sweep runs, before it starts. */
function printBanner(
  config: ResolvedConfig,
  extra: SweepModels,
  model: { meta: Record<string, unknown> | null },
  scorer: Scorer,
  run: { shard?: Shard; parallel?: number },
): void {
  const { shard, parallel } = run;
  const also = [
    extra.search.length ? `search models ${extra.search.join(", ")}` : "",
    extra.decoders.length ? `decoder ${extra.decoders.join(", ")}` : "",
    config.judges?.length
      ? `judges ${config.judges.map((j) => (typeof j === "string" ? j : j.onnx)).join(", ")}`
      : "",
  ].filter((x) => x);
  if (also.length) console.error(`Also loaded: ${also.join("; ")}`);
  console.error(
    `Experiment "${config.name}": model ${modelLabel(config.model)} (${
      isExternal(config.model)
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
}

/** The progress bar of a sweep, started by its first progress report. */
function sweepProgress(name: string): { onProgress: (p: RunProgress) => void; stop: () => void } {
  const bar = progressBar(
    `${name} |{bar}| {value}/{total} cells | best {best} ({cell}) | {qps} network queries/s | ETA {remaining}`,
  );
  let started = false;
  return {
    onProgress: (p) => {
      const payload = {
        best: p.currentBest === undefined ? "–" : p.currentBest.toFixed(4),
        cell: p.currentCell ?? "–",
        qps: p.queriesPerSecond.toFixed(0),
        remaining: formatDuration(p.etaSeconds),
      };
      if (!started) bar.start(p.cellsTotal, p.cellsDone, payload);
      started = true;
      bar.update(p.cellsDone, payload);
    },
    stop: () => bar.stop(),
  };
}

/** The closing lines: interrupted, resumed, a shard done, or the summary. Returns the exit code. */
function reportOutcome(
  config: ResolvedConfig,
  outcome: RunOutcome,
  run: { resultsDir: string; shard?: Shard; stopCode: number; summary?: Summary },
): number {
  const { resultsDir, shard, summary } = run;
  if (outcome.interrupted) {
    console.error(
      `Interrupted: ${outcome.records.length} finished cell(s) are saved in ${resultsDir}. Re-run the same command to resume.`,
    );
    return run.stopCode;
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
}

/**
 * The results folder describes itself: the model's metadata travels with it (model.json), and
 * the pixel judges' reference distances when they judged (reference.json).
 */
async function describeModels(
  resultsDir: string,
  config: ResolvedConfig,
  { model, scorer, reference, others }: {
    model: Awaited<ReturnType<typeof loadModel>>;
    scorer: Scorer;
    /** sha256 of the sweep's other models (ensembles, networks swept, decoders, judges). */
    others: Record<string, string>;
    reference?: { median: number; p95: number; testDistances: unknown };
  },
): Promise<void> {
  await writeJsonAtomic(`${resultsDir}/model.json`, {
    ...(model.meta ?? {}),
    ...(isExternal(config.model) ? { onnx: model.source, io: scorer.io } : {}),
    sha256Onnx: model.sha256,
    ...(Object.keys(others).length > 0 ? { otherModels: others } : {}),
    provider: config.provider,
    device: scorer.device,
  });
  if (reference) {
    const { median, p95, testDistances } = reference;
    await writeJsonAtomic(`${resultsDir}/reference.json`, { median, p95, testDistances });
  }
}

async function main(): Promise<number> {
  const { config, parallel, shard, fresh, dryRun, modelsDir, resultsDir } = await parseArguments(
    Deno.args,
  );
  if (dryRun) {
    await printPlan(config, { modelsDir, resultsDir, ...(shard ? { shard } : {}), fresh });
    return EXIT.ok;
  }
  const stop = listenForStop();
  try {
    const external = isExternal(config.model);
    if (external) {
      requireAccess(modelSource(modelsDir, config.model), "read", {
        flag: '"model": { "onnx" }',
        allowed: "the project folder",
      });
    }
    const extra = sweepModels(config);
    // Pinned models already here are checked before anything trains (the rest once trained).
    const pinned = zooModels(config, extra).filter((m) => config.sha256?.[m] !== undefined);
    checkPins(config, await presentShas(pinned, modelsDir), modelsDir);
    const ready = await trainMissing(config, extra, {
      modelsDir,
      ...(shard ? { shard } : {}),
      signal: stop.signal,
    });
    if (!ready) return stop.code();
    const model = await loadModel(modelsDir, config.model);
    checkPin(config, modelLabel(config.model), model.sha256, modelsDir);
    const scorer = await createScorer(config.provider, model.bytes, model.scorer);
    let opened;
    try {
      opened = await openSweepModels(config, extra, modelsDir, scorer, model.sha256);
    } catch (error) {
      await scorer.close();
      throw error;
    }
    const progress = sweepProgress(config.name);
    printBanner(config, extra, model, scorer, { ...(shard ? { shard } : {}), parallel });
    let outcome, summary: Summary | undefined;
    try {
      outcome = await runExperiment(config, {
        resultsDir,
        score: opened.scoring,
        modelSha256: model.sha256,
        ...(Object.keys(opened.shas).length > 0 ? { otherModels: opened.shas } : {}),
        ...(opened.judge ? { judge: opened.judge } : {}),
        fresh,
        ...(parallel === undefined ? {} : { parallel }),
        ...(shard ? { shard } : {}),
        signal: stop.signal,
        log: (line) => console.error(line),
        onProgress: progress.onProgress,
      });
      progress.stop();
      await describeModels(resultsDir, config, {
        model,
        scorer,
        reference: opened.reference,
        others: opened.shas,
      });
      if (!outcome.interrupted && !shard) {
        const { writeReport } = await import("../experiments/report/write_report.ts");
        summary = await writeReport(resultsDir, {
          score: (images, count) => scorer.score(images, count),
          device: scorer.device,
          log: (line) => console.error(line),
        });
      }
    } finally {
      progress.stop();
      await opened.close();
      await scorer.close();
    }
    return reportOutcome(config, outcome, {
      resultsDir,
      ...(shard ? { shard } : {}),
      stopCode: stop.code(),
      ...(summary ? { summary } : {}),
    });
  } finally {
    stop.remove();
  }
}

if (import.meta.main) await runMain(main);
