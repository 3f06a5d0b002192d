/**
 * `deno task studio [--port P] [--host H]`: serves the studio (its pages, models/ and results/,
 * read-only) and prints its URL on one line of stdout; `--export DIR` writes the same pages
 * with their data as a static site instead.
 */

import { intFlag, modelsDirFlag, parseOnlyFlags, resultsDirFlag, runMain } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { startStudio } from "../studio/server.ts";
import { exportStudio } from "../studio/export.ts";

const USAGE = `Usage: deno task studio [--port 8000] [--host 127.0.0.1]
         [--models-dir models] [--results-dir results]
       deno task studio --export site

Serves the studio at http://127.0.0.1:<port>/ (printed on one line of stdout) until stopped:
the results folders and models (/), a sweep's boards (/sweep.html?name=N), a run with its
replay (/run.html?sweep=N&image=F), and the live page, where
  /live?model=cnn&digit=3&strategy=sketch&seed=1&target=0.99&run=1
runs that search in the page with onnxruntime-web, the same search as the CLI's record of
that cell; without run=1 a form starts it. Serves models/ and results/ read-only, and nothing
else of the project.`;

if (import.meta.main) {
  await runMain(async () => {
    const values = parseOnlyFlags(Deno.args, {
      usage: USAGE,
      flags: {
        port: {
          type: "string",
          arg: "P",
          description:
            "port to listen on (0 picks a free one); the task may listen on 8000 only, another port needs the deno run line under --host",
          shownDefault: "8000",
        },
        host: {
          type: "string",
          default: "127.0.0.1",
          arg: "H",
          description:
            "address to bind (127.0.0.1: this machine only). The task may only listen on 127.0.0.1:8000; for another port or address run it, once the task has bundled the pages, with that permission: deno run --allow-read=. --allow-net=H:P cli/studio.ts --host H --port P",
        },
        "models-dir": modelsDirFlag("the models folder to serve, read-only"),
        "results-dir": resultsDirFlag("the results folders to serve, read-only"),
        export: {
          type: "string",
          arg: "DIR",
          description:
            "write the pages and the data they show as a static site into DIR (a new or empty folder, or an earlier export), then exit; serve it with any static file server. The task may write site/ only; for another folder: deno run --allow-read=.,DIR --allow-write=DIR cli/studio.ts --export DIR",
        },
      },
    });
    if (values.export !== undefined) return await exportSite(values.export, values);
    const port = intFlag("port", values.port, { fallback: 8000, min: 0, max: 65535 });
    const host = values.host;
    let studio;
    try {
      studio = await startStudio({
        port,
        host,
        modelsDir: values["models-dir"],
        resultsDir: values["results-dir"],
        root: PROJECT_ROOT,
      });
    } catch (error) {
      // The task may listen on 127.0.0.1:8000 alone; elsewhere, the permission for that address.
      const grant = (p: string) =>
        `deno run --allow-read=. --allow-net=${host}${
          p === "0" ? "" : `:${p}`
        } cli/studio.ts --host ${host} --port ${p}`;
      if (error instanceof Deno.errors.NotCapable) {
        throw new UsageError(`Cannot listen on ${host}:${port}: no permission`, {
          hint: `deno task studio may only listen on 127.0.0.1:8000 (after bundling its pages); ` +
            `for ${host}:${port} run ${grant(String(port))}`,
        });
      }
      if (error instanceof Deno.errors.AddrInUse) {
        throw new UsageError(`Cannot listen on ${host}:${port}: the port is in use`, {
          hint: `Stop what uses it, or choose another port, e.g. ${
            grant("8001")
          } (0 picks a free one)`,
        });
      }
      throw error;
    }
    console.log(studio.url);
    const { promise, resolve } = Promise.withResolvers<void>();
    Deno.addSignalListener("SIGINT", () => resolve());
    Deno.addSignalListener("SIGTERM", () => resolve());
    await promise;
    await studio.shutdown();
  });
}

/** `--export DIR`: the static site, with a clear error where the task may not write. */
async function exportSite(
  dir: string,
  values: { "models-dir": string; "results-dir": string },
): Promise<void> {
  if (dir.trim() === "") {
    throw new UsageError("--export needs a folder, received an empty name", {
      hint: "e.g. deno task studio --export site",
    });
  }
  try {
    const summary = await exportStudio(
      {
        dir,
        modelsDir: values["models-dir"],
        resultsDir: values["results-dir"],
        root: PROJECT_ROOT,
      },
      (line) => console.error(line),
    );
    console.error(
      `Wrote ${summary.dir}: ${summary.sweeps} sweeps, ${summary.images} images, ${summary.models} models.`,
    );
    console.error(
      `Serve it with any static file server, e.g. python3 -m http.server -d ${dir}, and open /index.html.`,
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new UsageError(`Cannot export to ${dir}: no permission to read and write there`, {
        hint: `deno task studio may write site/ only; for ${dir} run ` +
          `deno run --allow-read=.,${dir} --allow-write=${dir} cli/studio.ts --export ${dir}`,
      });
    }
    throw error;
  }
}
