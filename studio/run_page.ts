/**
 * A run's page: its record (image, probabilities, numbers), its confidence per step, and a
 * replay computed in the page from the record's seed, which says where it parts from the
 * record. `&replay=1` starts the replay on load and leaves `window.identikitReplay` for scripts.
 */

/// <reference lib="dom" />

import { toBase64 } from "../common/base64.ts";
import { divergence, pixelsChanged, replay, replayPlan } from "./replay.ts";
import type { SweepData, SweepRecord } from "./site_data.ts";
import {
  count,
  drawBars,
  drawLevels,
  element,
  fetchJson,
  fetchLevels,
  h,
  imageUrl,
  markReady,
  showError,
} from "./ui.ts";
import { openWebScoring } from "./web_scorer.ts";

/** What a finished replay leaves for scripts. */
export interface ReplayReport {
  /** The replay's final image and evaluations equal the record's. */
  equal: boolean;
  /** The first step whose best confidence parts from the record's, or null. */
  divergedAt: number | null;
  /** Pixels of the final image that differ from the record's. */
  pixelsDiffer: number;
  /** The served model files whose sha256 is not the one the folder recorded, each described. */
  modelsDiffer: string[];
  converged: boolean;
  iterations: number;
  evaluations: number;
  finalConfidence: number;
  pixels: string;
}

/** Fills the run page from the sweep's data; replays on `replay=1` or the button. */
export async function startRun(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const sweep = params.get("sweep") ?? "";
  const image = params.get("image") ?? "";
  const status = element<HTMLParagraphElement>("replay-status");
  let data: SweepData, record: SweepRecord | undefined;
  try {
    data = await fetchJson<SweepData>(`data/sweeps/${encodeURIComponent(sweep)}.json`);
    record = data.records.find((r) => r.image === image);
    if (!record) throw new Error(`${sweep} has no record with the image ${image}`);
  } catch (error) {
    showError(element("numbers"), `Cannot show the run: ${(error as Error).message}`);
    return;
  }
  const r = record;
  element("title").replaceChildren(
    h("a", { href: `sweep.html?name=${encodeURIComponent(data.name)}` }, data.name),
    ` · digit ${r.digit}, seed ${r.seed}`,
  );
  element("setting").textContent = data.settings[r.setting].label;
  const recorded = await fetchLevels(imageUrl(data.name, r.image));
  drawLevels(element("recorded"), recorded);
  drawBars(element("bars"), r.finalProbabilities, r.digit);
  const rows: [string, string][] = [
    ["result", r.converged ? "reached the target" : r.stuck ? "stuck" : "stopped at its budget"],
    ["p(target)", r.finalConfidence.toFixed(6)],
    ["steps", count(r.iterations)],
    ["evaluations", count(r.evaluations)],
    ["last improvement", `step ${r.lastImprovement}`],
    ["wall time", `${count(r.wallMs)} ms`],
    ...Object.entries(r.judges ?? {}).map(([j, v]): [string, string] => [
      `judge ${j}`,
      `sees a ${v.label}${v.target ? " (the target)" : ""}`,
    ]),
  ];
  element("numbers").replaceChildren(
    h("table", {}, ...rows.map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, v)))),
  );
  element("chart").replaceChildren(trajectoryChart(r.trajectory, data.config.target));
  const button = element<HTMLButtonElement>("replay");
  const start = async () => {
    button.disabled = true;
    try {
      const report = await replayRun(data, r, recorded);
      (globalThis as unknown as { identikitReplay?: ReplayReport }).identikitReplay = report;
    } catch (error) {
      showError(status, `Cannot replay: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener("click", start);
  markReady();
  if (params.get("replay") === "1") await start();
}

/** Runs the record's search again in the page and compares it with the record. */
async function replayRun(
  data: SweepData,
  r: SweepRecord,
  recorded: Uint8Array,
): Promise<ReplayReport> {
  const status = element<HTMLParagraphElement>("replay-status");
  if (data.model === null) {
    throw new Error("this sweep's model is an external file; the studio serves only models/");
  }
  const plan = replayPlan(data.config, r.key);
  const names = [data.model, ...plan.models, ...plan.decoders];
  const differ = await modelsThatDiffer(data, names);
  status.textContent = `Opening ${names.join(", ")}…`;
  // Always on wasm: the CLI's records come from CPU kernels, which a GPU's would not repeat.
  const scoring = await openWebScoring(data.model, {
    models: plan.models,
    decoders: plan.decoders,
    provider: "wasm",
  });
  const canvas = element<HTMLCanvasElement>("replayed");
  const bars = element("replay-bars");
  const started = performance.now();
  let painted = -Infinity;
  const result = await replay(plan, scoring, async (search) => {
    if (performance.now() - painted < 33) return;
    drawLevels(canvas, search.image);
    drawBars(bars, search.probabilities, r.digit);
    status.textContent = `step ${search.iteration}: p = ${search.best.toFixed(4)}`;
    painted = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
  drawLevels(canvas, result.image);
  drawBars(bars, result.finalProbabilities, r.digit);
  const trajectory = result.trajectory.map((v) => Math.round(v * 1e6) / 1e6);
  const divergedAt = divergence(trajectory, r.trajectory);
  const pixelsDiffer = pixelsChanged(result.image, recorded);
  const equal = pixelsDiffer === 0 && result.evaluations === r.evaluations;
  const ms = (performance.now() - started).toFixed(0);
  status.textContent = equal
    ? `The replay equals the record: the same image after ${
      count(result.evaluations)
    } evaluations (${ms} ms).`
    : `The replay parts from the record${divergedAt === null ? "" : ` at step ${divergedAt}`}: ${
      count(result.evaluations)
    } evaluations against ${count(r.evaluations)}, ` +
      `${pixelsDiffer} pixels differ ${
        differ.length > 0
          ? `(the served ${differ.join("; ")}: the replay ran on other weights than the record)`
          : "(the same model files: onnxruntime-web and the CLI's provider may round the last bits of a probability differently)"
      }.`;
  return {
    equal,
    divergedAt,
    modelsDiffer: differ,
    pixelsDiffer,
    converged: result.converged,
    iterations: result.iterations,
    evaluations: result.evaluations,
    finalConfidence: result.finalConfidence,
    pixels: toBase64(result.image),
  };
}

/** The best confidence after each step, with the target, as an SVG line chart. */
function trajectoryChart(trajectory: number[], target: number): SVGSVGElement {
  const width = 640, height = 200, left = 40, bottom = 24;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", String(width));
  svg.setAttribute("class", "chart");
  const n = Math.max(trajectory.length, 1);
  const x = (i: number) => left + (i / Math.max(n - 1, 1)) * (width - left - 10);
  const y = (p: number) => 8 + (1 - p) * (height - bottom - 8);
  const add = (tag: string, attributes: Record<string, string>, text?: string) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  /** A line across the chart at probability p. */
  const rule = (p: number, style: Record<string, string>) =>
    add("line", {
      x1: String(left),
      x2: String(width - 10),
      y1: String(y(p)),
      y2: String(y(p)),
      ...style,
    });
  for (const p of [0, 0.5, 1]) {
    rule(p, { stroke: "#eee" });
    add("text", { x: String(left - 6), y: String(y(p) + 4), "text-anchor": "end" }, String(p));
  }
  rule(target, { stroke: "#e8a33d", "stroke-dasharray": "4 3" });
  add(
    "text",
    { x: String(width - 12), y: String(y(target) - 4), "text-anchor": "end" },
    `target ${target}`,
  );
  add("polyline", {
    points: trajectory.map((p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(" "),
    fill: "none",
    stroke: "#1f6feb",
    "stroke-width": "1.6",
  });
  // Every step a tooltip, where there are few enough to point at.
  if (trajectory.length <= 400) {
    trajectory.forEach((p, i) => {
      const dot = add("circle", {
        cx: x(i).toFixed(1),
        cy: y(p).toFixed(1),
        r: "2.5",
        fill: "#1f6feb",
      });
      const title = document.createElementNS(ns, "title");
      title.textContent = `step ${i + 1}: p = ${p}`;
      dot.append(title);
    });
  }
  add("text", { x: String(left), y: String(height - 6) }, "step 1");
  add(
    "text",
    { x: String(width - 10), y: String(height - 6), "text-anchor": "end" },
    `step ${trajectory.length}`,
  );
  return svg;
}

/**
 * The models whose served file (`models/<name>.json`'s ONNX sha256) is not the one the sweep ran
 * with, each as "models/<name>.onnx is <sha> where the folder ran <sha>"; models the folder
 * recorded no hash for are not checked.
 */
async function modelsThatDiffer(data: SweepData, names: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const name of names) {
    const ran = data.modelSha256[name];
    if (!ran) continue;
    let served = "unknown";
    try {
      const meta = await fetchJson<{ sha256?: { onnx?: string } }>(
        `models/${encodeURIComponent(name)}.json`,
      );
      served = meta.sha256?.onnx ?? "unknown";
    } catch { /* no metadata file: unknown */ }
    if (served !== ran) {
      out.push(
        `models/${name}.onnx is ${served.slice(0, 12)}… where the folder ran ${ran.slice(0, 12)}…`,
      );
    }
  }
  return out;
}
