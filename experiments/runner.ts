/**
 * Runs a sweep: expands digits × seeds × masks into cells, runs the pending ones (K at a time
 * in lockstep, one scoring call per step), and appends one complete record per finished cell.
 * Resumable: finished cells are skipped, a torn last line is repaired.
 */

import { UsageError } from "../common/errors.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../common/files.ts";
import { createPrng, deriveSeed } from "../common/prng.ts";
import { configHash, type ResolvedConfig, searchHash } from "./config.ts";
import { encodeGreyPng } from "./images.ts";
import {
  advanceTogether,
  createSearch,
  type Perturbation,
  type ScoreFn,
  type SearchStepper,
} from "./search.ts";
import type { RunStats } from "./statistics.ts";

/** One point of the sweep. */
export interface Cell {
  digit: number;
  seed: number;
  masks: number;
  perturbation: Perturbation;
  /**
   * `<digit>-<seed>-<masks>` (plus `-d<density>-a<amplitude>` when several regimes are
   * swept), also the image's base name.
   */
  id: string;
}

/** One line of `runs.jsonl`: everything about one finished cell. */
export interface RunRecord extends RunStats {
  cell: string;
  seed: number;
  perturbation: Perturbation;
  initialConfidence: number;
  finalProbabilities: number[];
  trajectory: number[];
  lastImprovement: number;
  /** Path of the PNG relative to the results folder. */
  image: string;
  /** The search hash the record was made under. */
  searchHash: string;
}

/** A shard: this process runs the cells whose index ≡ `index` (mod `count`), 0-based. */
export interface Shard {
  index: number;
  count: number;
}

/** Every cell of the config, in a fixed order (digit, seed, masks, then regime). */
export function expandCells(
  config: Pick<ResolvedConfig, "digits" | "seeds" | "masks" | "perturbations">,
): Cell[] {
  const cells: Cell[] = [];
  const several = config.perturbations.length > 1;
  for (const digit of config.digits) {
    for (const seed of config.seeds) {
      for (const masks of config.masks) {
        for (const perturbation of config.perturbations) {
          const regime = several ? `-d${perturbation.density}-a${perturbation.amplitude}` : "";
          cells.push({
            digit,
            seed,
            masks,
            perturbation,
            id: `${digit}-${seed}-${masks}${regime}`,
          });
        }
      }
    }
  }
  return cells;
}

/** The cells a shard runs. */
export function shardCells(cells: Cell[], shard?: Shard): Cell[] {
  return shard ? cells.filter((_, i) => i % shard.count === shard.index) : cells;
}

/**
 * A cell's coordinates as one string. Records are matched to cells by this, not by id, so a
 * cell keeps its record when the id changes (a second regime added to the sweep).
 */
export function cellKey(cell: Pick<Cell, "digit" | "seed" | "masks" | "perturbation">): string {
  return `${cell.digit}|${cell.seed}|${cell.masks}|${cell.perturbation.density}|${cell.perturbation.amplitude}`;
}

/** A cell's PRNG seed: from its own coordinates only, so results never depend on run order. */
export function cellSeed(cell: Pick<Cell, "digit" | "seed" | "masks" | "perturbation">): number {
  const { density, amplitude } = cell.perturbation;
  return deriveSeed("identikit/cell", cell.digit, cell.seed, cell.masks, density, amplitude);
}

/** The records file of a shard (numbered from 1, as on the command line) or of the whole run. */
export function recordsFile(shard?: Shard): string {
  return shard ? `runs.${shard.index + 1}-of-${shard.count}.jsonl` : "runs.jsonl";
}

/** Whether a file name is a shard's records file (as {@linkcode recordsFile} names them). */
export function isShardRecordsFile(name: string): boolean {
  return /^runs\.\d+-of-\d+\.jsonl$/.test(name);
}

/**
 * Reads a JSONL records file. A last line without its newline (a crash mid-write) is cut off
 * when `repair` is set, and reported; a damaged line elsewhere is an error naming the line.
 */
export async function readRecords(
  path: string,
  options: { repair?: boolean } = {},
): Promise<{ records: RunRecord[]; repaired: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { records: [], repaired: false };
    throw error;
  }
  let repaired = false;
  const lastNewline = bytes.lastIndexOf(0x0a);
  if (lastNewline !== bytes.length - 1) {
    if (!options.repair) {
      throw new UsageError(`${path} ends in a torn line (the run was killed while writing)`, {
        hint: "Re-run the experiment: it repairs the file and runs that cell again.",
      });
    }
    await Deno.truncate(path, lastNewline + 1);
    bytes = bytes.subarray(0, lastNewline + 1);
    repaired = true;
  }
  const lines = new TextDecoder().decode(bytes).split("\n").slice(0, -1);
  const records = lines.map((line, i) => {
    try {
      return JSON.parse(line) as RunRecord;
    } catch {
      throw new UsageError(`${path} line ${i + 1} is not a JSON record: ${line.slice(0, 80)}`, {
        hint: "Delete that line (its cell runs again), or re-run with --fresh to start over.",
      });
    }
  });
  return { records, repaired };
}

/** What happened, for progress displays. */
export interface RunProgress {
  cellsDone: number;
  cellsTotal: number;
  /** Best confidence of the most advanced running cell. */
  currentCell?: string;
  currentBest?: number;
  evaluationsPerSecond: number;
  etaSeconds: number;
  lastRecord?: RunRecord;
}

/** Options for {@linkcode runExperiment}. */
export interface RunOptions {
  /** The results folder, `results/<name>`. */
  resultsDir: string;
  score: ScoreFn;
  /** sha256 of the ONNX model: part of the search hash (a retrained model invalidates results). */
  modelSha256: string;
  /** Delete earlier results of this experiment first. */
  fresh?: boolean;
  /** Cells advanced together in one scoring call (default 1). */
  parallel?: number;
  shard?: Shard;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress) => void;
  log?: (line: string) => void;
}

/** What {@linkcode runExperiment} did. */
export interface RunOutcome {
  /** This shard's records, in the order of the cells (old and new). */
  records: RunRecord[];
  ran: number;
  skipped: number;
  repaired: boolean;
  interrupted: boolean;
}

/** Everything a run and its report write (besides config.json, rewritten anyway). */
const GENERATED = [
  "runs.jsonl",
  "summary.json",
  "report.md",
  "grid.png",
  "images",
  "baseline.json",
  "model.json",
];

/**
 * Prepares `resultsDir` for `config`: a first run writes `config.json`; a later run with a
 * different search (target, stop rules, provider, model…) is refused unless `fresh`; changed sweep
 * axes (more seeds, other digits) are allowed: old cells stay valid, new ones run.
 */
export async function prepareResults(
  resultsDir: string,
  config: ResolvedConfig,
  options: { modelSha256: string; fresh?: boolean; log?: (line: string) => void },
): Promise<string> {
  const hash = await searchHash(config, options.modelSha256);
  const configPath = `${resultsDir}/config.json`;
  if (await exists(configPath)) {
    const previous = JSON.parse(await Deno.readTextFile(configPath)) as { searchHash?: string };
    if (previous.searchHash !== hash) {
      if (!options.fresh) {
        throw new UsageError(
          `Cannot resume ${resultsDir}: its results were made with a different config or model (search hash ${
            previous.searchHash?.slice(0, 12)
          }…, now ${hash.slice(0, 12)}…)`,
          {
            hint:
              'Re-run with --fresh to delete those results and start over, or give the config another "name".',
          },
        );
      }
    }
    if (options.fresh) {
      options.log?.(`--fresh: deleting the earlier results in ${resultsDir}`);
      for await (const entry of Deno.readDir(resultsDir)) {
        if (
          GENERATED.includes(entry.name) || isShardRecordsFile(entry.name) ||
          entry.name.endsWith(".svg")
        ) {
          await Deno.remove(`${resultsDir}/${entry.name}`, { recursive: true });
        }
      }
    }
  }
  await Deno.mkdir(`${resultsDir}/images`, { recursive: true });
  await writeJsonAtomic(configPath, {
    ...config,
    hash: await configHash(config),
    searchHash: hash,
    modelSha256: options.modelSha256,
  });
  return hash;
}

/** Runs every pending cell of `config` (or of its shard) and appends their records. */
export async function runExperiment(
  config: ResolvedConfig,
  options: RunOptions,
): Promise<RunOutcome> {
  const { resultsDir, score, shard } = options;
  const parallel = options.parallel ?? 1;
  const hash = await prepareResults(resultsDir, config, options);
  const file = `${resultsDir}/${recordsFile(shard)}`;
  const { records: existing, repaired } = await readRecords(file, { repair: true });
  if (repaired) options.log?.(`Repaired ${file}: removed a torn last line (that cell runs again)`);
  const cells = shardCells(expandCells(config), shard);
  const done = new Map(existing.filter((r) => r.searchHash === hash).map((r) => [cellKey(r), r]));
  const pending = cells.filter((c) => !done.has(cellKey(c)));
  const total = cells.length;
  let finished = cells.length - pending.length;
  const skipped = finished;
  const out = await Deno.open(file, { append: true, create: true });
  const encoder = new TextEncoder();
  const start = performance.now();
  let evaluations = 0, interrupted = false;
  const active: { cell: Cell; search: SearchStepper; started: number }[] = [];
  let next = 0;
  const progress = (extra: Partial<RunProgress> = {}) => {
    const seconds = (performance.now() - start) / 1000;
    const ran = finished - skipped;
    const leader = active.reduce<typeof active[number] | undefined>(
      (a, b) => (a === undefined || b.search.best > a.search.best ? b : a),
      undefined,
    );
    options.onProgress?.({
      cellsDone: finished,
      cellsTotal: total,
      ...(leader ? { currentCell: leader.cell.id, currentBest: leader.search.best } : {}),
      evaluationsPerSecond: seconds > 0 ? evaluations / seconds : 0,
      etaSeconds: ran > 0 ? (seconds / ran) * (total - finished) : NaN,
      ...extra,
    });
  };
  try {
    progress();
    while (next < pending.length || active.length > 0) {
      while (active.length < parallel && next < pending.length) {
        const cell = pending[next++];
        active.push({
          cell,
          search: createSearch(
            {
              ...searchOptions(config),
              digit: cell.digit,
              masks: cell.masks,
              perturbation: cell.perturbation,
            },
            createPrng(cellSeed(cell)),
          ),
          started: performance.now(),
        });
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      evaluations += await advanceTogether(active.map((a) => a.search), score);
      for (const a of active.filter((a) => a.search.done)) {
        const record = await finishCell(
          a.cell,
          a.search,
          performance.now() - a.started,
          hash,
          resultsDir,
        );
        // One write per record: a kill leaves at most a torn last line, which resume repairs.
        await writeAll(out, encoder.encode(JSON.stringify(record) + "\n"));
        done.set(cellKey(record), record);
        finished++;
        progress({ lastRecord: record });
      }
      for (let i = active.length - 1; i >= 0; i--) if (active[i].search.done) active.splice(i, 1);
      progress();
    }
  } finally {
    out.close();
  }
  return {
    records: cells.map((c) => done.get(cellKey(c))).filter((r): r is RunRecord => r !== undefined),
    ran: finished - skipped,
    skipped,
    repaired,
    interrupted,
  };
}

function searchOptions(config: ResolvedConfig) {
  return {
    target: config.target,
    maxIterations: config.maxIterations,
    patience: config.patience,
    base: config.base,
  };
}

async function finishCell(
  cell: Cell,
  search: SearchStepper,
  wallMs: number,
  hash: string,
  resultsDir: string,
): Promise<RunRecord> {
  const result = search.result();
  const image = `images/${cell.id}.png`;
  await writeFileAtomic(`${resultsDir}/${image}`, encodeGreyPng(result.image));
  return {
    cell: cell.id,
    digit: cell.digit,
    seed: cell.seed,
    masks: cell.masks,
    perturbation: cell.perturbation,
    converged: result.converged,
    stuck: result.stuck,
    iterations: result.iterations,
    evaluations: result.evaluations,
    initialConfidence: result.initialConfidence,
    finalConfidence: result.finalConfidence,
    finalProbabilities: result.finalProbabilities,
    trajectory: result.trajectory.map((v) => Math.round(v * 1e6) / 1e6),
    lastImprovement: result.lastImprovement,
    image,
    searchHash: hash,
    wallMs: Math.round(wallMs),
  };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
