/**
 * `deno task docs:figures`: rebuilds every figure in docs/ from the results folders of the
 * committed configs that produced them, with the report's own code.
 */

import { EXIT, listFlag, parseOnlyFlags, requireAccess, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { DOCS_FIGURES, rebuildDocsFigures } from "../experiments/report/docs_figures.ts";

const USAGE = `Usage: deno task docs:figures [--only FILE,…] [--results-dir results] [--out docs]

Rebuilds the figures in docs/ from the results folders of the configs that produced them, with
the code that writes a results folder's report (one strategy's records only where a figure shows
one strategy). A missing or unfinished results folder is named with the command that makes it,
and then nothing is written (exit 2). The results folders are only read.

${
  DOCS_FIGURES.map((f) =>
    `  docs/${f.file.padEnd(24)} ${f.source} of ${f.config}${
      f.strategy ? ` (${f.strategy} only)` : ""
    }`
  ).join("\n")
}`;

if (import.meta.main) {
  await runMain(async () => {
    const values = parseOnlyFlags(Deno.args, {
      usage: USAGE,
      flags: {
        only: {
          type: "string",
          arg: "LIST",
          description: "rebuild only these figures, comma-separated file names (listed above)",
          shownDefault: "every figure",
        },
        "results-dir": {
          type: "string",
          default: "results",
          arg: "DIR",
          description: "where the configs' results folders are read",
        },
        out: {
          type: "string",
          default: "docs",
          arg: "DIR",
          description: "where the figures are written",
        },
      },
    });
    const known = new Map(DOCS_FIGURES.map((f) => [f.file, f]));
    const figures = listFlag("only", values.only, {
      fallback: [...DOCS_FIGURES],
      parse: (file) => {
        const figure = known.get(file.replace(/^docs\//, ""));
        if (!figure) {
          throw new UsageError(`--only: docs/ has no figure "${file}"`, {
            hint: `The figures: ${[...known.keys()].join(", ")}.`,
          });
        }
        return figure;
      },
    });
    const outDir = values.out.replace(/\/$/, "");
    const resultsDir = values["results-dir"].replace(/\/$/, "");
    requireAccess(outDir, "write", { flag: "--out", allowed: "docs/" });
    requireAccess(resultsDir, "read", { flag: "--results-dir", allowed: "the project" });
    await rebuildDocsFigures({
      resultsDir,
      outDir,
      root: PROJECT_ROOT,
      log: (line) => console.error(line),
    }, figures);
    return EXIT.ok;
  });
}
