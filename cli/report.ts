/** `deno task report results/<name>`: rebuilds report.md, grid.png and the figures from runs.jsonl. */

import { EXIT, parseFlags, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { readResultsConfig, writeReport } from "../experiments/write_report.ts";
import { summaryTable } from "../experiments/statistics.ts";
import { baselineScorer } from "./_baseline_scorer.ts";

const USAGE = "Usage: deno task report results/<name> [--models-dir models]";

if (import.meta.main) {
  await runMain(async () => {
    const { values, positionals } = parseFlags(Deno.args, {
      "models-dir": { type: "string", default: `${PROJECT_ROOT}/models` },
      help: { type: "boolean", short: "h" },
    }, USAGE);
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError("Expected one results folder", { hint: USAGE });
    }
    const dir = positionals[0].replace(/\/$/, "");
    const config = await readResultsConfig(dir);
    const scorer = await baselineScorer(dir, config, values["models-dir"]);
    try {
      const summary = await writeReport(dir, {
        ...(scorer
          ? { score: (images: Float32Array, count: number) => scorer.score(images, count) }
          : {}),
        log: (line) => console.error(line),
      });
      console.log(summaryTable(summary));
    } finally {
      await scorer?.close();
    }
    return EXIT.ok;
  });
}
