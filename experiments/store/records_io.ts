/** Reads and appends a results folder's JSONL files: records (repairing a torn last line) and run segments. */

import { UsageError } from "../../common/errors.ts";
import type { Shard } from "../sweep/shards.ts";
import { recordsFile, type RunRecord } from "./records.ts";
import { recordProblem } from "./results_format.ts";

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

/** Appends a record as one line, in one write: a kill leaves at most a torn last line. */
export async function appendRecord(file: Deno.FsFile, record: RunRecord): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(record) + "\n");
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** Appends a run segment to the segments file of `shard` (or of the whole sweep). */
export async function appendSegment(
  dir: string,
  shard: Shard | undefined,
  segment: Segment,
): Promise<void> {
  await Deno.writeTextFile(`${dir}/${segmentsFile(shard)}`, JSON.stringify(segment) + "\n", {
    append: true,
  });
}
