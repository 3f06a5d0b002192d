/**
 * `deno task merge results/<name>`: checks that the shards share the config, that no cell is
 * missing or duplicated (naming them), then writes runs.jsonl, the summary and the report.
 */

import { EXIT, intFlag, parseFlags, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { DEFAULT_MODELS_DIR, writeFileAtomic } from "../common/files.ts";
import { listNames, mergeShards } from "../experiments/shards.ts";
import { readResultsConfig } from "../experiments/write_report.ts";
import { rebuildReport } from "./_rebuild_report.ts";

const USAGE = "Usage: deno task merge results/<name> [--wait SECONDS] [--models-dir models]";

if (import.meta.main) {
  await runMain(async () => {
    const { values, positionals } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        wait: { type: "string" },
        "models-dir": { type: "string", default: DEFAULT_MODELS_DIR },
      },
    });
    if (positionals.length !== 1) {
      throw new UsageError("Expected one results folder", { hint: USAGE });
    }
    const dir = positionals[0].replace(/\/$/, "");
    const wait = intFlag("wait", values.wait, { fallback: 0, min: 0 });
    const config = await readResultsConfig(dir);
    const deadline = Date.now() + wait * 1000;
    let merged = await mergeShards(dir, config);
    // With --wait, missing cells may still be running: poll until they appear (or time runs out).
    while (
      merged.missing.length && !merged.duplicates.length && !merged.mismatched.length &&
      Date.now() < deadline
    ) {
      console.error(`${merged.missing.length} cell(s) not finished yet; checking again in 30 s…`);
      await new Promise((r) => setTimeout(r, Math.min(30000, Math.max(0, deadline - Date.now()))));
      merged = await mergeShards(dir, config);
    }
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
      ...(merged.duplicates.length
        ? [
          `${merged.duplicates.length} cell(s) duplicated: ${
            listNames(merged.duplicates.map((d) => `${d.cell} (in ${d.files.join(", ")})`))
          }`,
        ]
        : []),
    ];
    if (problems.length) {
      throw new UsageError(`Cannot merge ${dir}:\n  - ${problems.join("\n  - ")}`, {
        hint: merged.missing.length
          ? "Re-run the shards that did not finish (each resumes where it stopped), then merge again."
          : "Each cell must come from exactly one shard of one config: remove stray shard files, or start over in a fresh results folder.",
      });
    }
    await writeFileAtomic(
      `${dir}/runs.jsonl`,
      merged.records.map((r) => JSON.stringify(r) + "\n").join(""),
    );
    console.error(
      `Merged ${merged.records.length} cells from ${
        merged.files.join(", ")
      } into ${dir}/runs.jsonl`,
    );
    await rebuildReport(dir, values["models-dir"]);
    return EXIT.ok;
  });
}
