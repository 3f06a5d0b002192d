/**
 * Runs a sweep: runs the pending cells of the config's axes (K at a time in lockstep, one
 * scoring call per step), and appends one complete record per finished cell. Execution only:
 * cells, keys and seeds come from axes.ts. Resumable: finished cells are skipped, a torn last
 * line is repaired.
 */

import { UsageError } from "../common/errors.ts";
import { exists, sha256Hex, writeFileAtomic, writeJsonAtomic } from "../common/files.ts";
import {
  acquireLock,
  liveHolder,
  type Lock,
  LockedError,
  type LockHolder,
} from "../common/lock.ts";
import { readStoredConfig, recordProblem, RESULTS_FORMAT } from "./results_format.ts";
import { createPrng, deriveSeed } from "../common/prng.ts";
import { configHash, type ResolvedConfig, searchHash } from "./config.ts";
import { encodeGreyPng } from "./images.ts";
import {
  type Cell,
  cellKey,
  cellSeed,
  type Coordinates,
  expandCells,
  sweepsNewAxes,
} from "./axes.ts";
import type { ObjectiveChoice } from "./search/objectives.ts";
import {
  advanceTogether,
  candidatesPerStep,
  createSearch,
  type Perturbation,
  type ScoreFn,
  type Scoring,
  type SearchOptions,
  type SearchStepper,
} from "./search/search.ts";
import type { StrategySpec } from "./search/strategies/strategy.ts";
import type { RunStats } from "./statistics.ts";

export { type Cell, cellKey, cellSeed, type Coordinates, expandCells } from "./axes.ts";

/** One line of `runs.jsonl`: everything about one finished cell. */
export interface RunRecord extends RunStats {
  cell: string;
  seed: number;
  /** Greedy cells: the perturbation regime. */
  perturbation?: Perturbation;
  /** Cells of a strategy other than plain greedy: the strategy object with its parameters. */
  strategy?: StrategySpec;
  /** Cells of an objective other than probability. */
  objective?: ObjectiveChoice;
  initialConfidence: number;
  finalProbabilities: number[];
  /** Ensembles: each search model's target probability on the final image. */
  modelConfidences?: Record<string, number>;
  /** Network queries, when they differ from evaluations (ensembles, shifted copies, decoders). */
  queries?: number;
  trajectory: number[];
  lastImprovement: number;
  /** Path of the PNG relative to the results folder. */
  image: string;
  /** The search hash the record was made under. */
  searchHash: string;
  /** What the config's judges (models and pixel judges outside the search) say of the image. */
  judges?: Record<string, Verdict>;
  /**
   * Sweeps of strategies or objectives: this cell's share of the sweep's wall time, each
   * step's time split over the cells in it by the images each had scored.
   */
  shareMs?: number;
}

/** One judge's verdict on a final image. */
export interface Verdict {
  /** The digit the judge sees (for "plausible": the nearest training digit's label). */
  label: number;
  /** Whether the judge calls the target (for "plausible": near enough and the target's label). */
  target: boolean;
  /** Model judges: the target's probability. */
  p?: number;
  /** "nearest" and "plausible": the Euclidean distance to the nearest training digit. */
  distance?: number;
  /** "mean": the correlation with the chosen digit's mean image. */
  correlation?: number;
}

/** Judges a final image (its 8-bit levels) made for `digit`. */
export type JudgeFn = (image: Uint8Array, digit: number) => Promise<Record<string, Verdict>>;

/**
 * A shard: this process runs the cells whose {@linkcode shardOf} is `index`, of `count`
 * shards (0-based).
 */
export interface Shard {
  index: number;
  count: number;
}

/**
 * The shard (0-based, of `count`) that runs a cell: from the cell's key alone, never from its
 * place in the sweep, so that a sweep grown by seeds, digits or axis values leaves every old
 * cell in the shard that already holds its record.
 */
export function shardOf(cell: Coordinates, count: number): number {
  return deriveSeed("identikit/shard", cellKey(cell)) % count;
}

/** The cells a shard runs. */
export function shardCells(cells: Cell[], shard?: Shard): Cell[] {
  return shard ? cells.filter((c) => shardOf(c, shard.count) === shard.index) : cells;
}

/**
 * A record's image file, relative to the results folder: the cell id for people to read, then a
 * hash of the record's whole identity (every coordinate, swept or not, and the search hash).
 * Ids leave out axes with a single value, so two records of one folder (a regime edited and
 * edited back) can share an id; they never share an image.
 */
export async function imageFile(
  id: string,
  cell: Coordinates,
  searchHash: string,
): Promise<string> {
  const identity = await sha256Hex(`${cellKey(cell)}\u0000${searchHash}`);
  return `images/${id}-${identity.slice(0, 12)}.png`;
}

/** A record's fields that the same cell always reproduces: all but its timings. */
export function reproducible(record: RunRecord): Omit<RunRecord, "wallMs" | "shareMs"> {
  const { wallMs: _w, shareMs: _s, ...rest } = record;
  return rest;
}

/** The records file of a shard (numbered from 1, as on the command line) or of the whole run. */
export function recordsFile(shard?: Shard): string {
  return shard ? `runs.${shard.index + 1}-of-${shard.count}.jsonl` : "runs.jsonl";
}

const LOCK_SUFFIX = ".lock";

/** The lock file a records file's writer holds while it appends (see `acquireLock`). */
export function lockFile(records: string): string {
  return records + LOCK_SUFFIX;
}

/**
 * The lock on a whole results folder, held for a moment by each run while it prepares the folder
 * (config.json, and --fresh's deletions), and for as long as they take by `merge` and `migrate`,
 * which rewrite records that runs append to. A run already past its preparation holds its
 * records file's lock, which those commands check under the folder lock; a run not yet past it
 * must wait for the folder lock. So neither can pull the folder from under the other.
 */
export const FOLDER_LOCK = "folder.lock";

/**
 * Takes `dir`'s folder lock for `what` (e.g. "merge"), waiting up to `waitMs` for another
 * holder, then checks that no run is writing records into it (unless `writers` is "allowed");
 * refuses with exit 2 naming the holder (host, pid) otherwise.
 */
export async function lockFolder(
  dir: string,
  what: string,
  { waitMs = 0, writers = "refused", own }: {
    waitMs?: number;
    writers?: "refused" | "allowed";
    /** The records file of the caller itself (not counted as another writer). */
    own?: string;
  } = {},
): Promise<Lock> {
  const lock = await acquireLock(`${dir}/${FOLDER_LOCK}`, {
    waitMs,
    hint:
      `Another process is changing ${dir} (a run preparing it, a merge or a migration). Wait for it to finish and try again.`,
  });
  if (writers === "allowed") return lock;
  try {
    const other = (await liveWriters(dir)).find((w) => w.records !== own);
    if (other) {
      throw new LockedError(
        `${dir}/${lockFile(other.records)}`,
        other.holder,
        `${what} rewrites records that this run appends to: wait for it to finish (or stop it), then ${what} again.`,
      );
    }
    return lock;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The records files in `dir` whose writer is running now (its lock held), and who holds it. */
export async function liveWriters(
  dir: string,
): Promise<{ records: string; holder: LockHolder }[]> {
  const live: { records: string; holder: LockHolder }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.endsWith(`.jsonl${LOCK_SUFFIX}`)) continue;
    const holder = await liveHolder(`${dir}/${entry.name}`);
    if (holder) live.push({ records: entry.name.slice(0, -LOCK_SUFFIX.length), holder });
  }
  return live.sort((a, b) => a.records.localeCompare(b.records));
}

/**
 * The file where each run of a shard (or of the whole sweep) appends its segment: when it
 * started, how long it ran, how many network queries it made in how many calls. The sweep's
 * rate comes from these.
 */
export function segmentsFile(shard?: Shard): string {
  return recordsFile(shard).replace(/^runs/, "segments");
}

/** One run segment: a process's share of the sweep, from start to finish or interruption. */
export interface Segment {
  startedAt: string;
  elapsedMs: number;
  /**
   * Network queries: the images each model scored (shifted copies included) and the decoder
   * renders, the unit of every rate. With no cell cut short, the sum of this segment's records'
   * `queries ?? evaluations`. Segments of older versions: their `evaluations`.
   */
  queries: number;
  /** Network calls (one batch each): `queries / calls` is the mean batch. Absent in old segments. */
  calls?: number;
  /** Older versions' count of images scored (shifted copies included, each model once). */
  evaluations?: number;
  /** Cells finished in this segment. */
  cells: number;
  /** The fixed cells per batch (--parallel), or "auto" for batches filled to FILL_BATCH. */
  parallel: number | "auto";
}

/** Reads every segments file of a results folder (all shards); [] when there are none. */
export async function readSegments(dir: string): Promise<Segment[]> {
  const segments: Segment[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!/^segments(\.\d+-of-\d+)?\.jsonl$/.test(entry.name)) continue;
    const text = await Deno.readTextFile(`${dir}/${entry.name}`);
    // A torn last line (a kill mid-append) is skipped: that segment's time is lost, no more.
    for (const line of text.split("\n")) {
      if (!line) continue;
      let segment: Segment;
      try {
        segment = JSON.parse(line);
      } catch {
        continue; // torn
      }
      segments.push({ ...segment, queries: segment.queries ?? segment.evaluations ?? 0 });
    }
  }
  return segments;
}

/** Whether a file name is a shard's records file (as {@linkcode recordsFile} names them). */
export function isShardRecordsFile(name: string): boolean {
  return /^runs\.\d+-of-\d+\.jsonl$/.test(name);
}

/**
 * Reads a JSONL records file. A last line without its newline (a crash mid-write, or a writer
 * still appending) is cut off in the file when `repair` is set, left in place but not read when
 * `skipTorn` is set (for readers of another process's live file), and an error otherwise; a
 * damaged line elsewhere is an error naming the line.
 */
export async function readRecords(
  path: string,
  options: { repair?: boolean; skipTorn?: boolean } = {},
): Promise<{ records: RunRecord[]; repaired: boolean; torn: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { records: [], repaired: false, torn: false };
    }
    throw error;
  }
  let repaired = false;
  const lastNewline = bytes.lastIndexOf(0x0a);
  const torn = lastNewline !== bytes.length - 1;
  if (torn) {
    if (options.repair) {
      await Deno.truncate(path, lastNewline + 1);
      repaired = true;
    } else if (!options.skipTorn) {
      throw new UsageError(`${path} ends in a torn line (the run was killed while writing)`, {
        hint: "Re-run the experiment: it repairs the file and runs that cell again.",
      });
    }
    bytes = bytes.subarray(0, lastNewline + 1);
  }
  const lines = new TextDecoder().decode(bytes).split("\n").slice(0, -1);
  const records = lines.map((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`${path} line ${i + 1} is not a JSON record: ${line.slice(0, 80)}`, {
        hint: "Delete that line (its cell runs again), or re-run with --fresh to start over.",
      });
    }
    const problem = recordProblem(value);
    if (problem) {
      throw new UsageError(`${path} line ${i + 1} is not an identikit run record: ${problem}`, {
        hint: "Delete that line (its cell runs again), or re-run with --fresh to start over.",
      });
    }
    return value as RunRecord;
  });
  return { records, repaired, torn };
}

/** What happened, for progress displays. */
export interface RunProgress {
  cellsDone: number;
  cellsTotal: number;
  /** Best confidence of the most advanced running cell. */
  currentCell?: string;
  currentBest?: number;
  /** Network queries per second (the unit of {@linkcode Segment}'s `queries`). */
  queriesPerSecond: number;
  etaSeconds: number;
  lastRecord?: RunRecord;
}

/** Options for {@linkcode runExperiment}. */
export interface RunOptions {
  /** The results folder, `results/<name>`. */
  resultsDir: string;
  /** The config's model alone, or every model and decoder the cells ask (ensembles, latents). */
  score: ScoreFn | Scoring;
  /** sha256 of the ONNX model: part of the search hash (a retrained model invalidates results). */
  modelSha256: string;
  /**
   * sha256 of every other model the sweep uses (ensemble members, decoders, judges) by name:
   * part of the search hash too. Absent for sweeps of the config's model alone.
   */
  otherModels?: Record<string, string>;
  /** Judges every finished cell's image (configs with `judges`). */
  judge?: JudgeFn;
  /** Delete earlier results of this experiment first. */
  fresh?: boolean;
  /**
   * Cells advanced together in one scoring call. Default for sweeps of strategies or
   * objectives: as many as it takes to fill a batch of {@linkcode FILL_BATCH} images (125 cells
   * of 4 candidates); for the seed's search alone: 1, so that its records are written in cell
   * order, exactly as before.
   */
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

/** Images per scoring call the automatic `parallel` aims at (onnxruntime's sweet spot on CPU). */
export const FILL_BATCH = 500;

/** Everything a run and its report write (besides config.json, rewritten anyway). */
const GENERATED = [
  "runs.jsonl",
  "summary.json",
  "report.md",
  "grid.png",
  "stalls.png",
  "images",
  "baseline.json",
  "model.json",
  "reference.json",
];

/**
 * Prepares `resultsDir` for `config`: a first run writes `config.json`; a later run with a
 * different search (target, stop rules, provider, model…) is refused unless `fresh`; changed sweep
 * axes (more seeds, other digits) are allowed: old cells stay valid, new ones run.
 */
export async function prepareResults(
  resultsDir: string,
  config: ResolvedConfig,
  options: {
    modelSha256: string;
    otherModels?: Record<string, string>;
    fresh?: boolean;
    log?: (line: string) => void;
  },
): Promise<string> {
  const hash = await searchHash(config, options.modelSha256, options.otherModels);
  const configPath = `${resultsDir}/config.json`;
  if (await exists(configPath)) {
    let previous: { searchHash?: string };
    try {
      previous = (await readStoredConfig(configPath)).config;
    } catch (error) {
      // A folder this version cannot read is never resumed into; --fresh starts it over.
      if (!options.fresh) throw error;
      previous = {};
    }
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
          entry.name.endsWith(".svg") || entry.name.startsWith("segments")
        ) {
          await Deno.remove(`${resultsDir}/${entry.name}`, { recursive: true });
        }
      }
    }
  }
  await Deno.mkdir(`${resultsDir}/images`, { recursive: true });
  await writeJsonAtomic(configPath, {
    format: RESULTS_FORMAT,
    ...config,
    hash: await configHash(config),
    searchHash: hash,
    modelSha256: options.modelSha256,
    ...(options.otherModels ? { otherModels: options.otherModels } : {}),
  });
  return hash;
}

/** Runs every pending cell of `config` (or of its shard) and appends their records. */
export async function runExperiment(
  config: ResolvedConfig,
  options: RunOptions,
): Promise<RunOutcome> {
  const { resultsDir, shard } = options;
  const file = `${resultsDir}/${recordsFile(shard)}`;
  // One writer per records file: a second process appending would interleave lines.
  await Deno.mkdir(resultsDir, { recursive: true });
  const lock = await acquireLock(lockFile(file), {
    hint: shard
      ? `Another process is running shard ${
        shard.index + 1
      }/${shard.count} of this sweep into ${resultsDir}. ` +
        "Wait for it to finish (a run that died releases its lock by itself), or check that each task got its own shard: " +
        "without --allow-env the scheduler's variables are not read and every task runs the whole sweep."
      : `Another process is running this sweep into ${resultsDir}. Wait for it to finish (a run that died releases ` +
        "its lock by itself); to run several processes at once, give each a shard (--shard i/n) and merge.",
  });
  try {
    if (lock.tookOver) {
      options.log?.(
        `Took over ${
          lockFile(file)
        } from pid ${lock.tookOver.pid} on ${lock.tookOver.host}: that run is gone`,
      );
    }
    // Preparing (and --fresh's deletions) under the folder lock: no merge or migration rewrites
    // the folder meanwhile, and --fresh deletes nothing that another run writes.
    const folder = await lockFolder(resultsDir, "--fresh", {
      waitMs: FOLDER_WAIT_MS,
      writers: options.fresh ? "refused" : "allowed",
      own: recordsFile(shard),
    }).catch((error) => {
      if (!(error instanceof LockedError) || !error.path.endsWith(".jsonl.lock")) throw error;
      throw new UsageError(
        `--fresh would delete results that another run is writing: ${
          error.path.slice(0, -LOCK_SUFFIX.length)
        } (pid ${error.holder?.pid} on host ${error.holder?.host})`,
        { hint: "Wait for that run to finish or stop it, then start over with --fresh." },
      );
    });
    let hash: string;
    try {
      hash = await prepareResults(resultsDir, config, options);
    } finally {
      await folder.release();
    }
    return await runCells(config, options, hash, file);
  } finally {
    await lock.release();
  }
}

/** How long a run waits for a folder lock held by another run's preparation or a merge. */
const FOLDER_WAIT_MS = 30_000;

async function runCells(
  config: ResolvedConfig,
  options: RunOptions,
  hash: string,
  file: string,
): Promise<RunOutcome> {
  const { resultsDir, score, shard } = options;
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
  const startedAt = new Date().toISOString();
  let queries = 0, calls = 0, interrupted = false;
  const active: {
    cell: Cell;
    search: SearchStepper;
    started: number;
    shareMs: number;
    candidates: number;
  }[] = [];
  // Without --parallel, cells join until a step's batch holds FILL_BATCH images.
  const newAxes = sweepsNewAxes(config);
  const parallel = options.parallel ?? (newAxes ? undefined : 1);
  const room = () =>
    parallel !== undefined
      ? active.length < parallel
      : active.reduce((n, a) => n + a.candidates, 0) < FILL_BATCH;
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
      queriesPerSecond: seconds > 0 ? queries / seconds : 0,
      etaSeconds: ran > 0 ? (seconds / ran) * (total - finished) : NaN,
      ...extra,
    });
  };
  try {
    progress();
    while (next < pending.length || active.length > 0) {
      while (room() && next < pending.length) {
        const cell = pending[next++];
        const search = cellSearch(config, cell);
        active.push({
          cell,
          search: createSearch(search, createPrng(cellSeed(cell))),
          started: performance.now(),
          shareMs: 0,
          candidates: candidatesPerStep(search),
        });
      }
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const scored = new Map<SearchStepper, number>();
      const stepStart = performance.now();
      const count = await advanceTogether(active.map((a) => a.search), score, {
        onScored: (search, n) => scored.set(search, n),
        onCall: (images) => {
          queries += images;
          calls++;
        },
      });
      const stepMs = performance.now() - stepStart;
      for (const a of active) a.shareMs += (stepMs * (scored.get(a.search) ?? 0)) / count;
      for (const a of active.filter((a) => a.search.done)) {
        const record = await finishCell(a.cell, a.search, hash, resultsDir, {
          wallMs: performance.now() - a.started,
          // Timings old configs never had stay out of their records.
          ...(newAxes ? { shareMs: a.shareMs } : {}),
        }, options.judge);
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
    if (queries > 0) {
      const segment: Segment = {
        startedAt,
        elapsedMs: Math.round(performance.now() - start),
        queries,
        calls,
        cells: finished - skipped,
        parallel: parallel ?? "auto",
      };
      await Deno.writeTextFile(
        `${resultsDir}/${segmentsFile(shard)}`,
        JSON.stringify(segment) + "\n",
        { append: true },
      );
    }
  }
  return {
    records: cells.map((c) => done.get(cellKey(c))).filter((r): r is RunRecord => r !== undefined),
    ran: finished - skipped,
    skipped,
    repaired,
    interrupted,
  };
}

/** The search a cell runs. */
export function cellSearch(config: ResolvedConfig, cell: Cell): SearchOptions {
  return {
    digit: cell.digit,
    target: config.target,
    maxIterations: config.maxIterations,
    ...(config.maxEvaluations === undefined ? {} : { maxEvaluations: config.maxEvaluations }),
    patience: config.patience,
    base: config.base,
    ...(cell.strategy ? { strategy: cell.strategy } : {}),
    ...(cell.objective ? { objective: cell.objective } : {}),
    ...(cell.masks !== undefined ? { masks: cell.masks } : {}),
    ...(cell.perturbation ? { perturbation: cell.perturbation } : {}),
  };
}

async function finishCell(
  cell: Cell,
  search: SearchStepper,
  hash: string,
  resultsDir: string,
  time: { wallMs: number; shareMs?: number },
  judge?: JudgeFn,
): Promise<RunRecord> {
  const result = search.result();
  const verdicts = judge ? await judge(result.image, cell.digit) : undefined;
  const image = await imageFile(cell.id, cell, hash);
  await writeFileAtomic(`${resultsDir}/${image}`, encodeGreyPng(result.image));
  // Field order is part of the record's bytes: old configs' records must not change.
  return {
    cell: cell.id,
    digit: cell.digit,
    seed: cell.seed,
    ...(cell.masks !== undefined ? { masks: cell.masks } : {}),
    ...(cell.perturbation ? { perturbation: cell.perturbation } : {}),
    ...(cell.strategy ? { strategy: cell.strategy } : {}),
    ...(cell.objective ? { objective: cell.objective } : {}),
    converged: result.converged,
    stuck: result.stuck,
    iterations: result.iterations,
    evaluations: result.evaluations,
    initialConfidence: result.initialConfidence,
    finalConfidence: result.finalConfidence,
    finalProbabilities: result.finalProbabilities,
    ...(result.modelConfidences ? { modelConfidences: result.modelConfidences } : {}),
    ...(result.queries !== result.evaluations ? { queries: result.queries } : {}),
    trajectory: result.trajectory.map((v) => Math.round(v * 1e6) / 1e6),
    lastImprovement: result.lastImprovement,
    image,
    searchHash: hash,
    ...(verdicts ? { judges: verdicts } : {}),
    wallMs: Math.round(time.wallMs),
    ...(time.shareMs === undefined ? {} : { shareMs: Math.round(time.shareMs) }),
  };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}
