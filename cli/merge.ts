/**
 * `deno task merge results/<name>`: checks that the shards share the config, that no cell is
 * missing or duplicated (naming them), then writes runs.jsonl, the summary and the report.
 */

import { EXIT, intFlag, modelsDirFlag, parseFolderFlags, requireAccess, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { exists, writeFileAtomic } from "../common/files.ts";
import { listNames, type MergeResult, mergeShards } from "../experiments/store/merge.ts";
import { readResultsConfig } from "../experiments/store/results_format.ts";
import { liveWriters, lockFolder } from "../experiments/store/folder.ts";
import type { StoredConfig } from "../experiments/store/results_format.ts";
import { rebuildReport } from "./_rebuild_report.ts";

const USAGE = "Usage: deno task merge results/<name> [--wait SECONDS] [--models-dir models]";

if (import.meta.main) {
  await runMain(async () => {
    const { values, dir } = parseFolderFlags(Deno.args, {
      usage: USAGE,
      flags: {
        wait: {
          type: "string",
          arg: "SECONDS",
          description:
            "wait up to this long for every shard to finish its cells before merging (exit 1 if they do not)",
          shownDefault: "0: merge what is there now",
        },
        "models-dir": modelsDirFlag("where the model is read for the report's baseline"),
      },
    });
    requireAccess(dir, "write", { flag: "results folder", allowed: "results/" });
    const wait = intFlag("wait", values.wait, { fallback: 0, min: 0 });
    if (wait > 0 && (await waitForShards(dir, wait)) === null) return EXIT.failure;
    await readResultsConfig(dir); // a folder that is not one is named before anything is locked
    // Under the folder lock, with no run writing: no shard appends, and no run prepares,
    // grows the config or --fresh-deletes the folder, while runs.jsonl is rewritten.
    const lock = await lockFolder(dir, "merge");
    try {
      const config = await readResultsConfig(dir);
      await writeMerged(dir, config, await mergeShards(dir, config));
    } finally {
      await lock.release();
    }
    // The report only reads: shards starting now need not wait for it (a baseline takes a while).
    await rebuildReport(dir, values["models-dir"]);
    return EXIT.ok;
  });
}

/**
 * Polls until every cell of `dir`'s config is in a complete line of some shard file, or until
 * `seconds` pass. Before the shards start the folder, its config.json or the shard files may not
 * exist yet; a live shard's half-appended last line is "not finished yet". Returns the merge
 * once complete (or as soon as it shows a problem waiting cannot fix), or null after saying
 * why it timed out.
 */
async function waitForShards(dir: string, seconds: number): Promise<MergeResult | null> {
  const deadline = Date.now() + seconds * 1000;
  const pollMs = Math.min(30, Math.max(1, seconds / 20)) * 1000;
  let said = "";
  for (;;) {
    let waiting: string;
    let merged: MergeResult | undefined;
    if (!(await exists(dir))) waiting = `${dir} does not exist yet`;
    else if (!(await exists(`${dir}/config.json`))) waiting = `${dir}/config.json not written yet`;
    else {
      merged = await mergeShards(dir, await readResultsConfig(dir), { live: true });
      if (merged.mismatched.length || merged.conflicts.length) return merged;
      if (!merged.files.length) waiting = "no shard has written records yet";
      else if (merged.missing.length) {
        waiting = `${merged.missing.length} cell(s) not finished yet` +
          (merged.torn.length ? ` (${merged.torn.join(", ")} mid-write)` : "");
      } else {
        // Every cell is in; a shard still holding its lock is writing its segment line.
        const busy = await liveWriters(dir);
        if (busy.length === 0) return merged;
        waiting = `every cell is in; ${busy.map((w) => w.records).join(", ")} still finishing`;
      }
    }
    if (Date.now() >= deadline) {
      console.error(
        `error: gave up waiting for ${dir} after ${seconds} s: ${waiting}\n` +
          `HINT: Check that the shards are running (or re-run the ones that stopped: each resumes), ` +
          `then merge again, with a longer --wait if they need it.`,
      );
      return null;
    }
    if (waiting !== said) {
      console.error(`${waiting}; checking every ${pollMs / 1000} s for up to ${seconds} s…`);
      said = waiting;
    }
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

/** Checks the merge and writes runs.jsonl, or refuses naming every problem. */
async function writeMerged(dir: string, config: StoredConfig, merged: MergeResult): Promise<void> {
  if (merged.files.length === 0) {
    throw new UsageError(`Cannot merge ${dir}: it has no shard files (runs.<i>-of-<n>.jsonl)`, {
      hint: "Run the shards first: `deno task experiment CONFIG --shard i/n`.",
    });
  }
  const problems = [
    ...merged.mismatched.map((m) =>
      `${m.file} was made with a different config or model (search hash ${
        m.searchHash.slice(0, 12)
      }…, config.json has ${config.searchHash?.slice(0, 12)}…)`
    ),
    ...(merged.missing.length
      ? [`${merged.missing.length} cell(s) missing: ${listNames(merged.missing)}`]
      : []),
    ...(merged.conflicts.length
      ? [
        `${merged.conflicts.length} cell(s) with records that disagree: ${
          listNames(merged.conflicts.map((d) => `${d.cell} (in ${d.files.join(" and ")})`))
        }`,
      ]
      : []),
  ];
  if (problems.length) {
    throw new UsageError(`Cannot merge ${dir}:\n  - ${problems.join("\n  - ")}`, {
      hint: merged.missing.length
        ? "Re-run the shards that did not finish (each resumes where it stopped), then merge again."
        : "A cell run twice must give the same record (timings aside): one of those files was made elsewhere (another machine kind, an edited file). Delete that cell's line from one of them and merge again, or start over in a fresh results folder.",
    });
  }
  await writeFileAtomic(
    `${dir}/runs.jsonl`,
    merged.records.map((r) => JSON.stringify(r) + "\n").join(""),
  );
  console.error(
    `Merged ${merged.records.length} cells from ${merged.files.join(", ")} into ${dir}/runs.jsonl`,
  );
}
