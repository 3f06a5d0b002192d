/** `deno task report results/<name>`: rebuilds report.md, grid.png and the figures from runs.jsonl. */

import { EXIT, modelsDirFlag, parseFolderFlags, runMain } from "./_cli.ts";
import { rebuildReport } from "./_rebuild_report.ts";

const USAGE = "Usage: deno task report results/<name> [--models-dir models]";

if (import.meta.main) {
  await runMain(async () => {
    const { values, dir } = parseFolderFlags(Deno.args, {
      usage: USAGE,
      flags: {
        "models-dir": modelsDirFlag("where the model is read for the report's baseline"),
      },
    });
    await rebuildReport(dir, values["models-dir"]);
    return EXIT.ok;
  });
}
