/**
 * The figures in docs/: which committed config's results folder each comes from, and rebuilding
 * them with the report's own code (writeReport on a staged copy of the folder, optionally with
 * one strategy's records only), never touching the results folder itself.
 */

import { UsageError } from "../../common/errors.ts";
import { exists, writeFileAtomic } from "../../common/files.ts";
import { configHash, readConfig } from "../sweep/config.ts";
import { readConfigRecords } from "../store/config_records.ts";
import { currentBaseline, writeReport } from "./write_report.ts";
import type { RunRecord } from "../store/records.ts";

/** One figure in docs/ and where it comes from. */
export interface DocsFigure {
  /** Its name in docs/. */
  file: string;
  /** The committed config whose results folder (`results/<its name>`) it is drawn from. */
  config: string;
  /** The file the report writes in that results folder. */
  source: string;
  /** Only the records of this strategy (e.g. one strategy's board cut from a race). */
  strategy?: string;
}

/** Every figure in docs/, with its config: `deno task docs:figures` rebuilds them all. */
export const DOCS_FIGURES: readonly DocsFigure[] = [
  { file: "grid.png", config: "configs/all-digits.json", source: "grid.png" },
  { file: "curves.svg", config: "configs/all-digits.json", source: "curves.svg" },
  { file: "success.svg", config: "configs/all-digits.json", source: "success.svg" },
  { file: "baseline.svg", config: "configs/all-digits.json", source: "baseline.svg" },
  { file: "regimes-curves.svg", config: "configs/regimes.json", source: "curves.svg" },
  { file: "regime-map.svg", config: "configs/regime-map.json", source: "regimes.svg" },
  { file: "stalls.png", config: "configs/seed-stalls-gentle.json", source: "stalls.png" },
  {
    file: "sketch-grid.png",
    config: "configs/strategies.json",
    source: "grid.png",
    strategy: "sketch",
  },
  { file: "identikit-grid.png", config: "configs/identikit.json", source: "grid.png" },
  { file: "identikit-distances.svg", config: "configs/identikit.json", source: "distances.svg" },
];

/**
 * The pictures in docs/ that are screenshots of the studio, not report figures: each is
 * rebuilt by its command (in a browser, which docs:figures does not start) from its config's
 * results folder.
 */
export const DOCS_SCREENSHOTS: readonly { file: string; config: string; command: string }[] = [
  {
    file: "studio.png",
    config: "configs/strategies.json",
    command: "deno task bench:studio results/strategies --limit 1 --screenshot docs/studio.png",
  },
];

/** Where to read and write; paths relative to the project root or absolute. */
export interface DocsFiguresOptions {
  /** The folder holding the configs' results folders (`results`). */
  resultsDir: string;
  /** Where the figures go (`docs`). */
  outDir: string;
  /** The project root the configs' paths are relative to. */
  root: string;
  log?: (line: string) => void;
}

/** A figure's results folder, read and checked. */
interface Source {
  figure: DocsFigure;
  dir: string;
  records: RunRecord[];
}

/**
 * Checks that every figure's results folder exists and is finished, and that what the figure
 * needs besides records (the baseline, the distance reference) is there. Collects every
 * problem and throws one UsageError naming each folder and the command that makes it, before
 * anything is written.
 */
async function checkSources(
  figures: readonly DocsFigure[],
  options: DocsFiguresOptions,
): Promise<Source[]> {
  const problems: string[] = [];
  const sources: Source[] = [];
  for (const figure of figures) {
    const config = await readConfig(`${options.root}/${figure.config}`);
    const dir = `${options.resultsDir}/${config.name}`;
    const run = `\`deno task experiment ${figure.config}\``;
    if (!(await exists(`${dir}/config.json`))) {
      problems.push(`docs/${figure.file}: ${dir} is missing; run ${run}`);
      continue;
    }
    const read = await readConfigRecords(dir);
    if (read.config.name !== config.name) {
      problems.push(
        `docs/${figure.file}: ${dir} holds the results of "${read.config.name}", not of ${figure.config}`,
      );
      continue;
    }
    const records = figure.strategy
      ? read.records.filter((r) => (r.strategy?.name ?? "greedy") === figure.strategy)
      : read.records;
    const missing = figure.strategy
      ? read.missing.filter((c) => (c.strategy?.name ?? "greedy") === figure.strategy)
      : read.missing;
    if (records.length === 0 || missing.length > 0) {
      const finish = read.sharded
        ? `merge its shards (\`deno task merge ${dir}\`) or run ${run}`
        : `run ${run} (it resumes)`;
      problems.push(
        `docs/${figure.file}: ${dir} is not finished (${missing.length} of ${
          missing.length + records.length
        } cells${figure.strategy ? ` of ${figure.strategy}` : ""} have no record); ${finish}`,
      );
      continue;
    }
    if (figure.source === "baseline.svg" && !(await currentBaseline(dir, read.config))) {
      problems.push(
        `docs/${figure.file}: ${dir} has no baseline.json for its model; run \`deno task report ${dir}\` with its model in models/`,
      );
      continue;
    }
    if (figure.source === "distances.svg" && !(await exists(`${dir}/reference.json`))) {
      problems.push(
        `docs/${figure.file}: ${dir} has no reference.json (the pixel judges' measure of real digits); run ${run}`,
      );
      continue;
    }
    if (read.config.hash && read.config.hash !== await configHash(config)) {
      options.log?.(
        `note: ${dir} was run from another version of ${figure.config} (or of its defaults); drawing it as it is`,
      );
    }
    sources.push({ figure, dir, records });
  }
  if (problems.length > 0) {
    throw new UsageError(
      `Cannot rebuild the figures in docs/: ${problems.length} of ${figures.length} need results first:\n${
        problems.map((p) => `  - ${p}`).join("\n")
      }`,
      { hint: "Nothing was written. Run the commands above, then this task again." },
    );
  }
  return sources;
}

/** Copies what writeReport reads of `dir` into `stage`, keeping only `records` and their images. */
async function stageFolder(dir: string, stage: string, records: RunRecord[]): Promise<void> {
  await Deno.mkdir(`${stage}/images`, { recursive: true });
  for (const file of ["config.json", "baseline.json", "reference.json", "model.json"]) {
    if (await exists(`${dir}/${file}`)) await Deno.copyFile(`${dir}/${file}`, `${stage}/${file}`);
  }
  await Deno.writeTextFile(
    `${stage}/runs.jsonl`,
    records.map((r) => JSON.stringify(r) + "\n").join(""),
  );
  for (const r of records) {
    const target = `${stage}/${r.image}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${dir}/${r.image}`, target);
  }
}

/**
 * Rebuilds `figures` (all of docs/ by default) into `options.outDir`: each results folder is
 * copied to a staging folder inside outDir (one strategy's records only, where the figure says
 * so), the report is written there by {@linkcode writeReport}, and the figure is copied out.
 * Missing or unfinished results folders are a UsageError naming the configs to run, and then
 * nothing is written. Returns the files written.
 */
export async function rebuildDocsFigures(
  options: DocsFiguresOptions,
  figures: readonly DocsFigure[] = DOCS_FIGURES,
): Promise<string[]> {
  const sources = await checkSources(figures, options);
  await Deno.mkdir(options.outDir, { recursive: true });
  const stage = await Deno.makeTempDir({ dir: options.outDir, prefix: ".docs-figures-" });
  try {
    // One staged report per results folder and strategy filter; then every figure copied out.
    const built = new Map<string, string>();
    const outputs: [string, Uint8Array][] = [];
    for (const { figure, dir, records } of sources) {
      const key = `${dir}|${figure.strategy ?? ""}`;
      if (!built.has(key)) {
        const folder = `${stage}/${built.size}`;
        await stageFolder(dir, folder, records);
        await writeReport(folder, {});
        built.set(key, folder);
      }
      const path = `${built.get(key)}/${figure.source}`;
      if (!(await exists(path))) {
        throw new UsageError(
          `docs/${figure.file}: the report of ${dir} has no ${figure.source}`,
          {
            hint: figure.source === "stalls.png"
              ? "stalls.png shows failed runs, and every run of this folder converged."
              : `Check that ${figure.config} still sweeps what this figure shows.`,
          },
        );
      }
      outputs.push([figure.file, await Deno.readFile(path)]);
    }
    for (const [file, bytes] of outputs) {
      await writeFileAtomic(`${options.outDir}/${file}`, bytes);
      options.log?.(`Wrote ${options.outDir}/${file}`);
    }
    return outputs.map(([file]) => file);
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}
