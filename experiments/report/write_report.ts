/**
 * Writes everything a person looks at from a results folder: summary.json, grid.png, the
 * figures, baseline.json (when a scorer is given) and report.md. Needs only the folder
 * (config.json, runs.jsonl, images/) to rebuild; the baseline is reused once computed.
 */

import { UsageError } from "../../common/errors.ts";
import type { StoredConfig } from "../store/results_format.ts";
import { readConfigRecords } from "../store/config_records.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../../common/files.ts";
import { type Baseline, computeBaseline } from "../analysis/baseline.ts";
import { decodeGreyPng, encodeGreyPng, renderGrid } from "../store/images.ts";
import { toBase64 } from "../../common/base64.ts";
import { measureLikeness } from "../analysis/likeness.ts";
import {
  baselineSpec,
  boardsSpec,
  curvesSpec,
  distanceSpec,
  evaluationsSpec,
  renderSvg,
  successSpec,
} from "./plots.ts";
import {
  distanceHistograms,
  type DistanceReference,
  type TransferRow,
  transferRows,
} from "../analysis/transfer.ts";
import { budgetTable } from "./tables.ts";
import {
  closestBudgets,
  hardestSevenNine,
  type MapCell,
  mapCells,
  networkOf,
  regimeRowOf,
} from "../analysis/regime_map.ts";
import { regimeMapSpec } from "./plots.ts";
import { type StallRow, stallRows } from "../analysis/stalls.ts";
import { plateauRows } from "../analysis/plateaus.ts";
import { modelLabel } from "../judge/model_file.ts";
import { renderReport } from "./markdown.ts";
import { cellKey, expandCells } from "../sweep/axes.ts";
import { readSegments, type Segment } from "../store/records_io.ts";
import { type RunRecord } from "../store/records.ts";
import type { ScoreFn } from "../search/search.ts";
import {
  type GroupSummary,
  type Setting,
  summarize,
  type Summary,
} from "../analysis/statistics.ts";
import { type Coordinates, settingKey, settingLabel, sweepsNewAxes } from "../sweep/axes.ts";

/** Options for {@linkcode writeReport}. */
export interface WriteReportOptions {
  /** Scores images with the experiment's model: needed once, to compute baseline.json. */
  score?: ScoreFn;
  /** The MNIST test set, for the baseline (loaded lazily when absent). */
  loadTest?: () => Promise<{ images: Float32Array; labels: Uint8Array; count: number }>;
  device?: string;
  log?: (line: string) => void;
}

/**
 * A report shows each record's own image: two records of different cells (or searches) naming
 * one file means one of them would show the other's picture, so the report refuses.
 */
function refuseSharedImages(dir: string, records: RunRecord[]): void {
  const owners = new Map<string, RunRecord>();
  for (const r of records) {
    const owner = owners.get(r.image);
    if (!owner) owners.set(r.image, r);
    else if (cellKey(owner) !== cellKey(r) || owner.searchHash !== r.searchHash) {
      throw new UsageError(
        `Cannot report on ${dir}: the records of cells ${owner.cell} (${
          cellKey(owner)
        }) and ${r.cell} (${
          cellKey(r)
        }) both name ${r.image}, so one of them would show the other's image`,
        {
          hint:
            "Its records were edited or merged by hand: delete the lines of those cells from the records (they run again) and re-run the experiment.",
        },
      );
    }
  }
}

/** Rebuilds the report of `dir`; returns the summary. */
export async function writeReport(dir: string, options: WriteReportOptions = {}): Promise<Summary> {
  // Only this config's cells, made under its search: earlier axes or searches stay out.
  const { config, records, sharded, all } = await readConfigRecords(dir);
  if (records.length === 0) {
    throw new UsageError(
      `Cannot report on ${dir}: runs.jsonl has no finished runs of this config`,
      {
        hint: sharded
          ? `Its runs are in shard files: merge them first (\`deno task merge ${dir}\`).`
          : "Run the experiment first (`deno task experiment CONFIG`).",
      },
    );
  }
  refuseSharedImages(dir, all);
  const order = [...new Set(expandCells(config).map((c) => settingKey(c)))];
  const summary = summarize(records, { order, ...sweepOf(await readSegments(dir)) });
  await writeJsonAtomic(`${dir}/summary.json`, summary);

  const images = await readImages(dir, records);
  const columns = columnOrder(config, order);
  const rows = [...config.digits].sort((a, b) => a - b).map((digit) =>
    records.filter((r) => r.digit === digit).sort(columns).map((r) => images.get(r.image)!)
  );
  await writeBoard(`${dir}/grid.png`, rows);
  const stalls = await writeStalls(dir, records, images);

  // Figures tell runs apart by setting: the mask count alone, or its strategy, regime, objective.
  const setting = (c: Coordinates | GroupSummary) => settingLabel(c, config);
  const runs = records.map((r) => ({ ...r, setting: setting(r) }));
  const baseline = await loadOrComputeBaseline(dir, config, options);
  const model = (await exists(`${dir}/model.json`))
    ? JSON.parse(await Deno.readTextFile(`${dir}/model.json`))
    : null;
  // Networks are named with their ONNX sha256's prefix wherever the folder recorded it.
  const shas: Record<string, string> = {
    ...(model?.sha256Onnx ? { [modelLabel(config.model)]: model.sha256Onnx } : {}),
    ...(model?.otherModels ?? {}),
  };
  const drawn = await writeFigures(dir, config, { summary, runs, baseline, setting, shas });
  // The boards with their labels, a board per setting (the studio draws its own: not in figures.json).
  await writeFileAtomic(
    `${dir}/boards.svg`,
    await renderSvg(boardsSpec(
      [...records].sort(columns).map((r) => ({
        setting: String(setting(r)),
        digit: r.digit,
        seed: r.seed,
        converged: r.converged,
        url: `data:image/png;base64,${
          toBase64(encodeGreyPng(images.get(r.image)!, { width: 28, height: 28 }))
        }`,
      })),
      config.target,
    )),
  );
  drawn.figures.unshift("boards.svg");
  const primary = modelLabel(config.model);
  const plateaus = records.some((r) => !r.converged)
    ? plateauRows(records.map((r) => ({
      ...r,
      network: networkOf(r, primary, shas),
      setting: r.perturbation
        ? regimeRowOf({ ...r, perturbation: r.perturbation })
        : String(setting(r)),
    })))
    : [];

  const likeness = records.length > 1
    ? measureLikeness(records.map((r) => ({ digit: r.digit, pixels: images.get(r.image)! })))
    : null;
  const device = options.device ?? model?.device;
  const { figures, transfer, mapped, reference } = drawn;
  const report = renderReport({
    config,
    model,
    summary,
    records: [...records].sort((a, b) => a.digit - b.digit || a.seed - b.seed || columns(a, b)),
    baseline,
    likeness,
    ...(transfer.length > 0 ? { transfer } : {}),
    ...(mapped.length > 0
      ? {
        regimeMap: hardestSevenNine(mapped),
        budgets: budgetTable(closestBudgets(runs, config.maxIterations)),
      }
      : {}),
    ...(stalls.length > 0 ? { stalls } : {}),
    ...(plateaus.length > 0 ? { plateaus } : {}),
    ...(reference ? { reference: { median: reference.median, p95: reference.p95 } } : {}),
    figures,
    ...(device ? { device } : {}),
  });
  await writeFileAtomic(`${dir}/report.md`, report);
  options.log?.(
    `Wrote ${dir}/report.md, grid.png${stalls.length > 0 ? ", stalls.png" : ""}, ${
      figures.join(", ")
    }`,
  );
  return summary;
}

/** The sweep's network queries and time, from its run segments (none: nothing to add). */
function sweepOf(segments: Segment[]): { sweep?: { queries: number; elapsedMs: number } } {
  return segments.length > 0
    ? {
      sweep: {
        queries: segments.reduce((n, s) => n + s.queries, 0),
        elapsedMs: segments.reduce((n, s) => n + s.elapsedMs, 0),
      },
    }
    : {};
}

/** Every record's final image as 8-bit levels, by cell; a missing image is bad input. */
async function readImages(dir: string, records: RunRecord[]): Promise<Map<string, Uint8Array>> {
  const images = new Map<string, Uint8Array>();
  for (const r of records) {
    const bytes = await Deno.readFile(`${dir}/${r.image}`).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new UsageError(`${dir}/${r.image} is missing: it is the image of cell ${r.cell}`, {
        hint: "Copy it back (shards write images into the shared folder), or delete the " +
          "cell's line from the records and re-run the experiment to redo that cell.",
      });
    });
    // By image, not by cell id: ids leave out single-valued axes, so two records of one report
    // (run under different single regimes, now both swept) can share an id, never an image.
    images.set(r.image, decodeGreyPng(bytes, r.image).levels);
  }
  return images;
}

/** stalls.png: the failed runs' pictures, a row per digit, grouped by the rival that holds them back. */
async function writeStalls(
  dir: string,
  records: RunRecord[],
  images: Map<string, Uint8Array>,
): Promise<StallRow[]> {
  const stalls = stallRows(records);
  if (stalls.length === 0) {
    // A rebuilt report without failures must not keep an older run's picture of them.
    if (await exists(`${dir}/stalls.png`)) await Deno.remove(`${dir}/stalls.png`);
  } else {
    await writeBoard(
      `${dir}/stalls.png`,
      stalls.map((row) => row.pictured.map((image) => images.get(image)!)),
    );
  }
  return stalls;
}

/**
 * Writes the figures (SVG, and their Vega-Lite specs in figures.json) of the report: curves,
 * success, evaluations; the baseline when known;
 * the judges' distances beside real digits' (reference.json); the regime map when several
 * regimes were swept. Returns their files and what the Markdown shows beside them.
 */
async function writeFigures(
  dir: string,
  config: StoredConfig,
  { summary, runs, baseline, setting, shas }: {
    summary: Summary;
    /** ONNX sha256 per model name, for the figures' network names. */
    shas: Record<string, string>;
    runs: (RunRecord & { setting: Setting })[];
    baseline: Baseline | null;
    setting: (c: Coordinates | GroupSummary) => Setting;
  },
): Promise<{
  figures: string[];
  transfer: TransferRow[];
  mapped: MapCell[];
  reference: DistanceReference | null;
}> {
  const groups = summary.groups.map((g) => ({ ...g, setting: setting(g) }));
  const figures: [string, Parameters<typeof renderSvg>[0]][] = [
    ["curves.svg", curvesSpec(runs, config.target)],
    ["success.svg", successSpec(groups)],
    ["evaluations.svg", evaluationsSpec(runs)],
  ];
  if (baseline) figures.push(["baseline.svg", baselineFigure(baseline)]);
  // Judges: the transfer table, and the distances beside real digits' (reference.json).
  const judged = runs.filter((r) => r.judges !== undefined);
  const transfer = transferRows(judged, (r) => setting(r));
  const reference: DistanceReference | null = (await exists(`${dir}/reference.json`))
    ? JSON.parse(await Deno.readTextFile(`${dir}/reference.json`))
    : null;
  if (reference && judged.some((r) => r.judges?.nearest ?? r.judges?.plausible)) {
    figures.push([
      "distances.svg",
      distanceSpec(distanceHistograms(reference, judged, (r) => setting(r)), reference.p95),
    ]);
  }
  // Sweeps of several regimes: the regime map (success per digit per regime, per model).
  const mapped = config.perturbations.length > 1
    ? mapCells(summary.groups, modelLabel(config.model), shas)
    : [];
  if (mapped.length > 0) {
    figures.push(["regimes.svg", regimeMapSpec(mapped, `config "${config.name}"`)]);
  }
  for (const [file, spec] of figures) {
    await writeFileAtomic(`${dir}/${file}`, await renderSvg(spec));
  }
  // The same specs for pages that draw them interactively (the studio, with vega-embed).
  await writeJsonAtomic(`${dir}/figures.json`, Object.fromEntries(figures));
  return { figures: figures.map(([file]) => file), transfer, mapped, reference };
}

function baselineFigure(baseline: Baseline): Parameters<typeof renderSvg>[0] {
  return baselineSpec([
    ...baseline.noise.histogram.map((fraction, i) => ({
      source: "uniform noise",
      bin: i * 0.05,
      fraction,
    })),
    ...baseline.mnist.histogram.map((fraction, i) => ({
      source: "MNIST test digits",
      bin: i * 0.05,
      fraction,
    })),
  ]);
}

/** Draws rows of 28×28 images as a board (renderGrid's layout) and writes it as a PNG. */
async function writeBoard(path: string, rows: Uint8Array[][]): Promise<void> {
  const board = renderGrid(rows);
  await writeFileAtomic(
    path,
    encodeGreyPng(board.levels, { width: board.width, height: board.height }),
  );
}

/**
 * Grid columns within a digit: for the seed's search alone masks, then regime, then seed (as
 * before strategies existed); otherwise the settings in the config's order, then seed.
 */
function columnOrder(
  config: Parameters<typeof sweepsNewAxes>[0],
  order: string[],
): (a: RunRecord, b: RunRecord) => number {
  if (!sweepsNewAxes(config)) {
    return (a, b) =>
      (a.masks ?? 0) - (b.masks ?? 0) ||
      (a.perturbation?.density ?? 0) - (b.perturbation?.density ?? 0) ||
      (a.perturbation?.amplitude ?? 0) - (b.perturbation?.amplitude ?? 0) || a.seed - b.seed;
  }
  const rank = new Map(order.map((key, i) => [key, i]));
  return (a, b) =>
    (rank.get(settingKey(a)) ?? 0) - (rank.get(settingKey(b)) ?? 0) || a.seed - b.seed;
}

/**
 * The results folder's baseline.json if it was computed with the results' model (its hash is
 * in config.json); null when missing or made with another model.
 */
export async function currentBaseline(
  dir: string,
  config: { modelSha256?: string },
): Promise<Baseline | null> {
  const path = `${dir}/baseline.json`;
  if (!(await exists(path))) return null;
  const baseline: Baseline = JSON.parse(await Deno.readTextFile(path));
  return baseline.modelSha256 === config.modelSha256 ? baseline : null;
}

async function loadOrComputeBaseline(
  dir: string,
  config: { modelSha256?: string },
  options: WriteReportOptions,
): Promise<Baseline | null> {
  const current = await currentBaseline(dir, config);
  if (current || !options.score) return current;
  const test = options.loadTest
    ? await options.loadTest()
    : await (await import("../../common/mnist.ts")).loadMnist("test");
  options.log?.("Computing the baseline: 10,000 noise images and the 10,000 test digits…");
  const baseline: Baseline = {
    ...await computeBaseline(options.score, test),
    ...(config.modelSha256 ? { modelSha256: config.modelSha256 } : {}),
  };
  await writeJsonAtomic(`${dir}/baseline.json`, baseline);
  return baseline;
}
