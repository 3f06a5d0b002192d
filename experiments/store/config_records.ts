/**
 * The finished records of a results folder's own config (its cells, made under its search), and
 * the cells still missing: what the robustness estimate and the docs figures read.
 */

import { UsageError } from "../../common/errors.ts";
import type { StoredConfig } from "./results_format.ts";
import { type Cell, cellKey, expandCells } from "../sweep/axes.ts";
import { isShardRecordsFile, readRecords } from "./records_io.ts";
import { type RunRecord } from "./records.ts";
import { readResultsConfig } from "./results_format.ts";

/** A results folder read for its config's cells. */
export interface ConfigRecords {
  config: StoredConfig;
  /** Records of this config's cells under its search hash (earlier axes or searches left out). */
  records: RunRecord[];
  /** Cells of the config without a record. */
  missing: Cell[];
  /** Whether the folder holds shard files (`runs.<i>-of-<n>.jsonl`) that may not be merged yet. */
  sharded: boolean;
  /** Every record of runs.jsonl, of this config or not (for checks across all of them). */
  all: RunRecord[];
}

/**
 * Reads `dir`'s config.json and runs.jsonl as the report does: only the config's cells, made
 * under its search. Bad input (no config.json, a damaged record) is a UsageError. With
 * `skipTorn`, a last line still being written (a live run's) is left unread instead.
 */
export async function readConfigRecords(
  dir: string,
  options: { skipTorn?: boolean } = {},
): Promise<ConfigRecords> {
  const config = await readResultsConfig(dir);
  const { records: all } = await readRecords(`${dir}/runs.jsonl`, {
    skipTorn: options.skipTorn ?? false,
  });
  const cells = expandCells(config);
  const wanted = new Set(cells.map(cellKey));
  const records = all.filter((r) =>
    wanted.has(cellKey(r)) && (!config.searchHash || r.searchHash === config.searchHash)
  );
  const done = new Set(records.map(cellKey));
  const sharded = [...Deno.readDirSync(dir)].some((e) => isShardRecordsFile(e.name));
  return {
    config,
    records,
    missing: cells.filter((c) => !done.has(cellKey(c))),
    sharded,
    all,
  };
}

/** A UsageError for a folder that has no finished run of its config, saying what to run. */
export function noRecordsError(dir: string, sharded: boolean, configFile?: string): UsageError {
  return new UsageError(`${dir}/runs.jsonl has no finished runs of its config`, {
    hint: sharded
      ? `Its runs are in shard files: merge them first (\`deno task merge ${dir}\`).`
      : `Run the experiment first (\`deno task experiment ${configFile ?? "CONFIG"}\`).`,
  });
}
