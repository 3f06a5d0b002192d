/**
 * The scheduler: runs the pending cells of the config's axes (K at a time in lockstep, one
 * scoring call per step), and appends one complete record per finished cell. Execution only:
 * cells, keys and seeds come from sweep/, the folder, its locks and its files from store/.
 * Resumable: finished cells are skipped, a torn last line is repaired.
 */

import { writeFileAtomic } from "../../common/files.ts";
import { createPrng } from "../../common/prng.ts";
import type { Lock } from "../../common/lock.ts";
import {
  advanceTogether,
  candidatesPerStep,
  createSearch,
  type ScoreFn,
  type Scoring,
  type SearchStepper,
} from "../search/search.ts";
import { type Cell, cellKey, cellSeed, expandCells, sweepsNewAxes } from "../sweep/axes.ts";
import { cellSearch } from "../sweep/cell_search.ts";
import type { ResolvedConfig } from "../sweep/config.ts";
import { type Shard, shardCells } from "../sweep/shards.ts";
import { lockRecords, prepareLocked } from "../store/folder.ts";
import { encodeGreyPng } from "../store/images.ts";
import {
  imageFile,
  type JudgeFn,
  recordOf,
  recordsFile,
  type RunRecord,
} from "../store/records.ts";
import { appendRecord, appendSegment, readRecords } from "../store/records_io.ts";
import { createMeter, type Meter, type RunProgress } from "./meter.ts";

export type { RunProgress };

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

/** Runs every pending cell of `config` (or of its shard) and appends their records. */
export async function runExperiment(
  config: ResolvedConfig,
  options: RunOptions,
): Promise<RunOutcome> {
  const file = `${options.resultsDir}/${recordsFile(options.shard)}`;
  const lock = await lockRecords(options.resultsDir, options.shard, options.log);
  try {
    const hash = await prepareLocked(options.resultsDir, config, options);
    return await runCells(config, options, hash, { file, lock });
  } finally {
    await lock.release();
  }
}

/** A cell advancing in the lockstep, with its search and its share of the wall time. */
interface Running {
  cell: Cell;
  search: SearchStepper;
  started: number;
  shareMs: number;
  candidates: number;
}

async function runCells(
  config: ResolvedConfig,
  options: RunOptions,
  hash: string,
  { file, lock }: { file: string; lock: Lock },
): Promise<RunOutcome> {
  const { resultsDir, shard } = options;
  const { records: existing, repaired } = await readRecords(file, { repair: true });
  if (repaired) options.log?.(`Repaired ${file}: removed a torn last line (that cell runs again)`);
  const cells = shardCells(expandCells(config), shard);
  const done = new Map(existing.filter((r) => r.searchHash === hash).map((r) => [cellKey(r), r]));
  const pending = cells.filter((c) => !done.has(cellKey(c)));
  const out = await Deno.open(file, { append: true, create: true });
  const meter = createMeter(cells.length, cells.length - pending.length, options.onProgress);
  const active: Running[] = [];
  // Without --parallel, cells join until a step's batch holds FILL_BATCH images.
  const newAxes = sweepsNewAxes(config);
  const parallel = options.parallel ?? (newAxes ? undefined : 1);
  const room = () =>
    parallel !== undefined
      ? active.length < parallel
      : active.reduce((n, a) => n + a.candidates, 0) < FILL_BATCH;
  let next = 0, interrupted = false;
  try {
    meter.report(active);
    while (next < pending.length || active.length > 0) {
      while (room() && next < pending.length) active.push(startCell(config, pending[next++]));
      if (options.signal?.aborted) {
        interrupted = true;
        break;
      }
      await step(active, options.score, meter);
      for (const a of active.filter((a) => a.search.done)) {
        const record = await finishCell(a, hash, resultsDir, newAxes, options.judge);
        refuseIfLost(lock, file);
        // One write per record: a kill leaves at most a torn last line, which resume repairs.
        await appendRecord(out, record);
        done.set(cellKey(record), record);
        meter.finished++;
        meter.report(active, { lastRecord: record });
      }
      for (let i = active.length - 1; i >= 0; i--) if (active[i].search.done) active.splice(i, 1);
      meter.report(active);
    }
  } finally {
    out.close();
    if (meter.queries > 0) {
      await appendSegment(resultsDir, shard, meter.segment(parallel ?? "auto"));
    }
  }
  return {
    records: cells.map((c) => done.get(cellKey(c))).filter((r): r is RunRecord => r !== undefined),
    ran: meter.finished - meter.skipped,
    skipped: meter.skipped,
    repaired,
    interrupted,
  };
}

/** A run whose records lock was taken over (it stalled past the staleness) writes no more. */
function refuseIfLost(lock: Lock, file: string): void {
  const other = lock.lostTo();
  if (other) {
    throw new Error(
      `Stopped: pid ${other.pid} on host ${other.host} took over the lock on ${file} while this run stalled, so this run writes no more records there (the new holder resumes the cells)`,
    );
  }
}

function startCell(config: ResolvedConfig, cell: Cell): Running {
  const search = cellSearch(config, cell);
  return {
    cell,
    search: createSearch(search, createPrng(cellSeed(cell))),
    started: performance.now(),
    shareMs: 0,
    candidates: candidatesPerStep(search),
  };
}

/** One lockstep step: every running cell scored in one call; each cell's share of its time. */
async function step(active: Running[], score: ScoreFn | Scoring, meter: Meter): Promise<void> {
  const scored = new Map<SearchStepper, number>();
  const stepStart = performance.now();
  const count = await advanceTogether(active.map((a) => a.search), score, {
    onScored: (search, n) => scored.set(search, n),
    onCall: (images) => {
      meter.queries += images;
      meter.calls++;
    },
  });
  const stepMs = performance.now() - stepStart;
  for (const a of active) a.shareMs += (stepMs * (scored.get(a.search) ?? 0)) / count;
}

/** Judges a finished cell's image, writes it, and makes its record. */
async function finishCell(
  running: Running,
  hash: string,
  resultsDir: string,
  newAxes: boolean,
  judge?: JudgeFn,
): Promise<RunRecord> {
  const { cell, search } = running;
  const wallMs = performance.now() - running.started;
  const result = search.result();
  const verdicts = judge ? await judge(result.image, cell.digit) : undefined;
  const image = await imageFile(cell.id, cell, hash);
  await writeFileAtomic(`${resultsDir}/${image}`, encodeGreyPng(result.image));
  return recordOf(cell, result, {
    image,
    searchHash: hash,
    ...(verdicts ? { judges: verdicts } : {}),
    wallMs,
    // Timings old configs never had stay out of their records.
    ...(newAxes ? { shareMs: running.shareMs } : {}),
  });
}
