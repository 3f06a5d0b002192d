/**
 * What the studio's pages show, as JSON: the index of results folders and models, a sweep's
 * records grouped by setting, and each record's nearest training digit. The server answers
 * these on request; `--export` writes the same files for a static host.
 */

import { toBase64 } from "../common/base64.ts";
import { UsageError } from "../common/errors.ts";
import { readConfigRecords } from "../experiments/store/config_records.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import type { RunRecord } from "../experiments/store/records.ts";
import type { StoredConfig } from "../experiments/store/results_format.ts";
import { cellKey, expandCells, settingKey, settingLabel } from "../experiments/sweep/axes.ts";

/** A trained model as the home page lists it. */
export interface ModelEntry {
  name: string;
  /** Test accuracy (classifiers) or null (generators). */
  accuracy: number | null;
  /** The ONNX file's sha256, first 12 hex digits. */
  sha256: string | null;
  description: string;
}

/** A results folder as the home page lists it. */
export interface SweepEntry {
  name: string;
  description: string;
  model: string;
  /** Cells of the config, finished records, converged records. */
  cells: number;
  runs: number;
  converged: number;
  /** When runs.jsonl was last written (ISO), or null. */
  date: string | null;
  /** Up to ten images (one per digit) for the thumbnail board, relative to the folder. */
  thumbnails: string[];
  /** Why the folder cannot be shown (an older format, damaged files), or absent. */
  problem?: string;
}

/** The home page's data. */
export interface SiteIndex {
  sweeps: SweepEntry[];
  models: ModelEntry[];
}

/** One record as the sweep and run pages show it: the record less its timings' detail. */
export type SweepRecord =
  & Pick<
    RunRecord,
    | "cell"
    | "digit"
    | "seed"
    | "converged"
    | "stuck"
    | "iterations"
    | "evaluations"
    | "initialConfidence"
    | "finalConfidence"
    | "finalProbabilities"
    | "trajectory"
    | "lastImprovement"
    | "image"
    | "judges"
    | "wallMs"
  >
  & {
    /** The cell's key, which the run page uses to rebuild its cell for the replay. */
    key: string;
    /** Index into {@linkcode SweepData.settings}. */
    setting: number;
  };

/** A sweep page's data. */
export interface SweepData {
  name: string;
  description: string;
  /** The stored config (what a replay rebuilds its cell and search from). */
  config: StoredConfig;
  /** The config's model by name, or null for an external file (no replay in the page). */
  model: string | null;
  settings: { key: string; label: string }[];
  records: SweepRecord[];
  /** The report's figures in the folder: `figures.json` (its specs) and the SVG files. */
  figures: { specs: boolean; svg: string[] };
  /**
   * The ONNX sha256 of each model the sweep ran with (its own, ensemble members, decoders) by
   * name, where the folder recorded them: a replay checks the served files against these.
   */
  modelSha256: Record<string, string>;
}

/** A record's nearest training digit. */
export interface NearestDigit {
  index: number;
  label: number;
  /** Euclidean distance, pixels in [0, 1]. */
  distance: number;
  /** Base64 of its 784 levels. */
  pixels: string;
}

/** Lists the results folders (each with its config's numbers) and the trained models. */
export async function siteIndex(
  dirs: { modelsDir: string; resultsDir: string },
): Promise<SiteIndex> {
  const sweeps: SweepEntry[] = [];
  for (const name of await folderNames(dirs.resultsDir)) {
    const dir = `${dirs.resultsDir}/${name}`;
    if (!await isFile(`${dir}/config.json`)) continue;
    try {
      const { config, records, missing } = await readConfigRecords(dir, { skipTorn: true });
      const byDigit = new Map<number, string>();
      for (const r of records) if (!byDigit.has(r.digit)) byDigit.set(r.digit, r.image);
      const stat = await Deno.stat(`${dir}/runs.jsonl`).catch(() => null);
      sweeps.push({
        name,
        description: config.description ?? "",
        model: modelName(config) ?? "external model",
        cells: records.length + missing.length,
        runs: records.length,
        converged: records.filter((r) => r.converged).length,
        date: stat?.mtime?.toISOString() ?? null,
        thumbnails: [...byDigit].sort((a, b) => a[0] - b[0]).map(([, image]) => image),
      });
    } catch (error) {
      sweeps.push({
        name,
        description: "",
        model: "",
        cells: 0,
        runs: 0,
        converged: 0,
        date: null,
        thumbnails: [],
        problem: (error as Error).message,
      });
    }
  }
  const models: ModelEntry[] = [];
  for await (const entry of readDirSafe(dirs.modelsDir)) {
    if (!entry.isFile || !entry.name.endsWith(".onnx")) continue;
    const name = entry.name.slice(0, -".onnx".length);
    let meta: Record<string, unknown> = {};
    try {
      meta = JSON.parse(await Deno.readTextFile(`${dirs.modelsDir}/${name}.json`));
    } catch { /* a model without its metadata file is still listed */ }
    const sha = (meta.sha256 as { onnx?: string } | undefined)?.onnx;
    models.push({
      name,
      accuracy: typeof meta.testAccuracy === "number" ? meta.testAccuracy : null,
      sha256: sha ? sha.slice(0, 12) : null,
      description: typeof meta.description === "string" ? meta.description : "",
    });
  }
  models.sort((a, b) => a.name.localeCompare(b.name));
  return { sweeps, models };
}

/** The records of `results/<name>` grouped by setting, in the config's cell order. */
export async function sweepData(resultsDir: string, name: string): Promise<SweepData> {
  const { config, records } = await readConfigRecords(`${resultsDir}/${name}`, { skipTorn: true });
  // Settings in the config's order (records are in the order they finished).
  const settings: { key: string; label: string }[] = [];
  const settingIndex = new Map<string, number>();
  for (const cell of expandCells(config)) {
    const key = settingKey(cell);
    if (settingIndex.has(key)) continue;
    settingIndex.set(key, settings.length);
    settings.push({ key, label: String(settingLabel(cell, config)) });
  }
  const rows = records.map((r): SweepRecord => {
    // The pages and the export take the name as a path: only our own image names.
    if (!/^images\/[^/\\]+\.png$/.test(r.image)) {
      throw new UsageError(
        `${name}/runs.jsonl names the image "${r.image}", not images/<name>.png`,
        {
          hint: "The file was edited: restore it, or re-run the experiment with --fresh.",
        },
      );
    }
    const setting = settingIndex.get(settingKey(r))!;
    return {
      cell: r.cell,
      key: cellKey(r),
      setting,
      digit: r.digit,
      seed: r.seed,
      converged: r.converged,
      stuck: r.stuck,
      iterations: r.iterations,
      evaluations: r.evaluations,
      initialConfidence: r.initialConfidence,
      finalConfidence: r.finalConfidence,
      finalProbabilities: r.finalProbabilities,
      trajectory: r.trajectory,
      lastImprovement: r.lastImprovement,
      image: r.image,
      ...(r.judges ? { judges: r.judges } : {}),
      wallMs: r.wallMs,
    };
  });
  const files = new Set<string>();
  for await (const e of readDirSafe(`${resultsDir}/${name}`)) if (e.isFile) files.add(e.name);
  return {
    name,
    description: config.description ?? "",
    figures: {
      specs: files.has("figures.json"),
      svg: [...files].filter((f) => f.endsWith(".svg")).sort(),
    },
    config,
    model: modelName(config),
    modelSha256: {
      ...(config.modelSha256 && modelName(config)
        ? { [modelName(config)!]: config.modelSha256 }
        : {}),
      ...config.otherModels,
    },
    settings,
    records: rows,
  };
}

/** A nearest-digit answer from the worker. */
interface Found {
  id: number;
  index: number;
  label: number;
  distance: number;
  pixels: Uint8Array;
}

/**
 * The nearest-digit worker (studio/nearest_worker.ts), started on first use: one query at a
 * time, the urgent ones (a hovered record) ahead of a folder's batch.
 */
function nearestWorker(): (levels: Uint8Array, urgent: boolean) => Promise<Found> {
  const worker = new Worker(new URL("./nearest_worker.ts", import.meta.url), { type: "module" });
  // Like the server, the worker must not keep a finished process alive.
  (worker as unknown as { unref?: () => void }).unref?.();
  const queue: { levels: Uint8Array; id: number }[] = [];
  const waiting = new Map<number, (found: Found) => void>();
  let ready = false, busy = false, next = 0;
  const pump = () => {
    if (!ready || busy || queue.length === 0) return;
    busy = true;
    worker.postMessage(queue.shift()!);
  };
  worker.onmessage = (event: MessageEvent<Found | { ready: true }>) => {
    if ("ready" in event.data) ready = true;
    else {
      busy = false;
      waiting.get(event.data.id)?.(event.data);
      waiting.delete(event.data.id);
    }
    pump();
  };
  return (levels, urgent) => {
    const id = next++;
    const { promise, resolve } = Promise.withResolvers<Found>();
    waiting.set(id, resolve);
    if (urgent) queue.unshift({ levels, id });
    else queue.push({ levels, id });
    pump();
    return promise;
  };
}

let worker: ReturnType<typeof nearestWorker> | null = null;

/**
 * Each record's nearest training digit, by image file; with `image`, that record's alone,
 * ahead of any folder's batch (what a hover asks while the whole folder's are still computed).
 * Computed in a worker (about 40 ms a record), never on the server's own thread.
 */
export async function nearestData(
  resultsDir: string,
  name: string,
  image?: string,
): Promise<Record<string, NearestDigit>> {
  const dir = `${resultsDir}/${name}`;
  const { records } = await readConfigRecords(dir, { skipTorn: true });
  worker ??= nearestWorker();
  const ask = worker;
  const out: Record<string, NearestDigit> = {};
  for (const r of records.filter((r) => image === undefined || r.image === image)) {
    const { levels } = decodeGreyPng(await Deno.readFile(`${dir}/${r.image}`), r.image);
    const found = await ask(levels, image !== undefined);
    out[r.image] = {
      index: found.index,
      label: found.label,
      distance: Math.round(found.distance * 1e4) / 1e4,
      pixels: toBase64(found.pixels),
    };
  }
  return out;
}

/** The config's zoo model, or null for an external file. */
function modelName(config: StoredConfig): string | null {
  return typeof config.model === "string" ? config.model : null;
}

async function folderNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of readDirSafe(dir)) if (entry.isDirectory) names.push(entry.name);
  return names.sort();
}

async function* readDirSafe(dir: string): AsyncIterable<Deno.DirEntry> {
  try {
    yield* Deno.readDir(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
