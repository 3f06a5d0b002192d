/** Merges a sharded results folder: every shard's records checked against the config, conflicts found. */

import { canonicalJson } from "../../common/canonical_json.ts";
import { cellKey, expandCells } from "../sweep/axes.ts";
import type { ResolvedConfig } from "../sweep/config.ts";
import { reproducible, type RunRecord } from "./records.ts";
import { isShardRecordsFile, readRecords } from "./records_io.ts";

/** What {@linkcode mergeShards} found. */
export interface MergeResult {
  records: RunRecord[];
  files: string[];
  /** Cells of the config that no shard ran. */
  missing: string[];
  /**
   * Cells whose records disagree (in more than their timings) between two files, with both: a
   * cell run twice (a sweep re-sharded, a shard file copied) gives equal records, kept once.
   */
  conflicts: { cell: string; files: [string, string] }[];
  /** Shard files whose records were made under another config or model. */
  mismatched: { file: string; searchHash: string }[];
  /** Shard files ending in a half-written line (read without it when `live` is set). */
  torn: string[];
}

/**
 * Reads every `runs.<i>-of-<n>.jsonl` of a results folder and checks them against its config.
 * With `live` set the shards may still be running: a torn last line is left alone and reported
 * in `torn` (its cell counts as missing) instead of being an error.
 */
export async function mergeShards(
  dir: string,
  config: ResolvedConfig & { searchHash?: string },
  { live = false }: { live?: boolean } = {},
): Promise<MergeResult> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (isShardRecordsFile(entry.name)) files.push(entry.name);
  }
  files.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const seen = new Map<string, { record: RunRecord; file: string; same: string }>();
  const conflicts = new Map<string, { cell: string; files: [string, string] }>();
  const mismatched = new Map<string, string>();
  const torn: string[] = [];
  for (const file of files) {
    const read = await readRecords(`${dir}/${file}`, { skipTorn: live });
    if (read.torn) torn.push(file);
    const { records } = read;
    for (const r of records) {
      if (r.searchHash !== config.searchHash) {
        mismatched.set(file, r.searchHash);
        continue;
      }
      const key = cellKey(r), same = canonicalJson(reproducible(r));
      const prior = seen.get(key);
      if (!prior) seen.set(key, { record: r, file, same });
      else if (prior.same !== same && !conflicts.has(key)) {
        conflicts.set(key, { cell: r.cell, files: [prior.file, file] });
      }
    }
  }
  const cells = expandCells(config);
  return {
    files,
    records: cells.filter((c) => seen.has(cellKey(c))).map((c) => seen.get(cellKey(c))!.record),
    missing: cells.filter((c) => !seen.has(cellKey(c))).map((c) => c.id),
    conflicts: [...conflicts.values()],
    mismatched: [...mismatched].map(([file, searchHash]) => ({ file, searchHash })),
    torn,
  };
}

/** Lists up to `max` names, then how many more. */
export function listNames(names: string[], max = 12): string {
  return names.length <= max
    ? names.join(", ")
    : `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
