/**
 * `deno task studio --export DIR`: the studio's pages with the data they show, as a static
 * site for any static host: the pages, their script, the onnxruntime-web files, the index, each
 * sweep's records and nearest digits, the records' images and the served models.
 */

import { UsageError } from "../common/errors.ts";
import { writeFileAtomic } from "../common/files.ts";
import { PAGE_NAMES, pageHtml } from "./pages.ts";
import { ORT_FILES, readBundles, resolveInside } from "./server.ts";
import { nearestData, siteIndex, sweepData } from "./site_data.ts";

/** The file that marks a folder as a studio export (so a second export may replace it). */
export const EXPORT_MARK = ".identikit-studio";

/** What an export wrote. */
export interface ExportSummary {
  dir: string;
  sweeps: number;
  images: number;
  models: number;
}

/**
 * Writes the static site into `dir`: a new or empty folder, or an earlier export (which it
 * replaces). Any other non-empty folder is refused with a UsageError, so nothing of the user's is
 * overwritten. `log` hears of each sweep as it is written.
 */
export async function exportStudio(
  options: { dir: string; modelsDir: string; resultsDir: string; root: string },
  log: (line: string) => void = () => {},
): Promise<ExportSummary> {
  const { dir } = options;
  if (await checkTarget(dir)) {
    // An earlier export: emptied first, so that nothing of a sweep or model gone since stays.
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    for (const name of names) await Deno.remove(`${dir}/${name}`, { recursive: true });
  }
  const write = async (path: string, data: string | Uint8Array) => {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await writeFileAtomic(full, typeof data === "string" ? new TextEncoder().encode(data) : data);
  };
  // The mark first: an export stopped half way is still one, which the next export replaces.
  await write(
    EXPORT_MARK,
    "A static export of the identikit studio (deno task studio --export).\n",
  );
  for (const page of PAGE_NAMES) await write(`${page}.html`, pageHtml(page));
  for (const [name, code] of Object.entries(await readBundles(options.root))) {
    await write(`assets/${name}`, code);
  }
  for (const file of ORT_FILES) {
    await write(
      `ort/${file}`,
      await Deno.readFile(`${options.root}/node_modules/onnxruntime-web/dist/${file}`),
    );
  }
  /** Copies `segments` under `root` to `to`, refusing what the server would refuse. */
  const copyInside = async (
    root: string,
    segments: string[],
    to: string,
    { optional = false } = {},
  ) => {
    const real = segments.some((s) => s === ".." || s === "." || s === "")
      ? new Response(null, { status: 403 })
      : await resolveInside(root, segments);
    if (typeof real !== "string") {
      if (optional && real.status === 404) return;
      throw new UsageError(
        `Cannot export ${root}/${segments.join("/")}: ${
          real.status === 403 ? "it lies outside its folder (a symlink or ..)" : "it does not exist"
        }`,
        {
          hint:
            "Serve only what lies inside results/ and models/; re-run the experiment if a record's image is missing.",
        },
      );
    }
    await write(to, await Deno.readFile(real));
  };
  const index = await siteIndex(options);
  await write("data/index.json", JSON.stringify(index));
  let images = 0;
  for (const sweep of index.sweeps.filter((s) => !s.problem)) {
    const data = await sweepData(options.resultsDir, sweep.name);
    await write(`data/sweeps/${sweep.name}.json`, JSON.stringify(data));
    await write(
      `data/nearest/${sweep.name}.json`,
      JSON.stringify(await nearestData(options.resultsDir, sweep.name)),
    );
    // The report's figures (its specs, and the SVGs that pages of older reports show) and the
    // records' images, each read only where it really lies inside the folder, as the server
    // serves them.
    const files = [
      ...(data.figures.specs ? ["figures.json"] : []),
      ...data.figures.svg,
      ...data.records.map((r) => r.image),
    ];
    for (const file of files) {
      await copyInside(
        options.resultsDir,
        [sweep.name, ...file.split("/")],
        `results/${sweep.name}/${file}`,
      );
    }
    images += data.records.length;
    log(`${sweep.name}: ${data.records.length} runs`);
  }
  for (const model of index.models) {
    await copyInside(options.modelsDir, [`${model.name}.onnx`], `models/${model.name}.onnx`);
    await copyInside(options.modelsDir, [`${model.name}.json`], `models/${model.name}.json`, {
      optional: true,
    });
  }
  return {
    dir,
    sweeps: index.sweeps.filter((s) => !s.problem).length,
    images,
    models: index.models.length,
  };
}

/**
 * Refuses a target folder that holds anything but an earlier export; true when it is an earlier
 * export (to be replaced), false when it is new or empty.
 */
async function checkTarget(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof Deno.errors.NotADirectory) {
      throw new UsageError(`Cannot export to ${dir}: it is a file`, {
        hint: "Name a new or empty folder (or an earlier export), e.g. --export site",
      });
    }
    throw error;
  }
  if (entries.length > 0 && !entries.includes(EXPORT_MARK)) {
    throw new UsageError(
      `Cannot export to ${dir}: it is not empty and is not an earlier studio export`,
      { hint: "Name a new or empty folder (or an earlier export), e.g. --export site" },
    );
  }
  return entries.length > 0;
}
