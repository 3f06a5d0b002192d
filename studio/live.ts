/**
 * The live page: opens a model with onnxruntime-web and runs the CLI's seeded search on it,
 * drawing the image as it grows beside the ten probabilities; from a blank page, or from a
 * drawing on the 28×28 pad (the network answers as you draw); with a served model or an ONNX
 * file dropped on the page. `?run=1` starts on load and leaves the result in
 * `window.identikitResult` for scripts.
 */

/// <reference lib="dom" />

import { toBase64 } from "../common/base64.ts";
import type { ModelIoSpec } from "../common/model_io.ts";
import { type Scoring, STRATEGY_NAMES } from "../experiments/search/mod.ts";
import { type LiveRun, liveRun } from "./live_cell.ts";
import { pixelsChanged, replay } from "./replay.ts";
import type { SiteIndex } from "./site_data.ts";
import { drawBars, drawLevels, element, fetchJson, fromBase64, h, markReady } from "./ui.ts";
import {
  type ModelSource,
  openWebScorer,
  openWebScoring,
  parseWebProvider,
  type WebProvider,
} from "./web_scorer.ts";

/** What a finished live run leaves for scripts. */
export interface LiveResult {
  converged: boolean;
  iterations: number;
  evaluations: number;
  finalConfidence: number;
  /** Base64 of the 784 final 8-bit levels, row-major. */
  pixels: string;
  /** Milliseconds from the search's start to its result (the model already open). */
  wallMs: number;
  /** Runs from a drawing: how many of its pixels the search changed. */
  pixelsChanged?: number;
}

declare global {
  interface Window {
    identikitResult?: LiveResult;
    identikitError?: string;
  }
}

/** The value of the model menu's entry for a file dropped on the page. */
const OWN = "@own";

/** A dropped model, once it passed its checks. */
let ownModel: { name: string; bytes: Uint8Array; spec: ModelIoSpec } | null = null;

/** How often the growing image is shown (about 30 frames a second). */
const FRAME_MS = 33;

const channel = new MessageChannel();

/** Resolves in a new task (not a timer: no 4 ms clamp), so that the page may render. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/** The model the run asks: the dropped file, or a served model by name. */
function sourceOf(model: string): ModelSource {
  if (model === OWN) {
    if (!ownModel) {
      throw new Error("No model file is loaded: choose one under “Bring your own model”");
    }
    return ownModel;
  }
  return model;
}

/**
 * Runs the search, drawing each improvement; resolves with the result. `base` (a drawing)
 * replaces the blank start.
 */
async function runLive(
  run: LiveRun,
  options: {
    base?: Uint8Array;
    provider?: WebProvider;
    canvas: HTMLCanvasElement;
    bars: HTMLElement;
    status: HTMLElement;
  },
): Promise<LiveResult> {
  const { canvas, bars, status } = options;
  status.textContent = `Opening ${run.model === OWN ? ownModel?.name : run.model}…`;
  const scoring: Scoring = await openWebScoring(sourceOf(run.model), {
    models: run.models,
    decoders: run.decoders,
    ...(options.provider ? { provider: options.provider } : {}),
  });
  const digit = run.cell.digit;
  const started = performance.now();
  let shown = -Infinity;
  let painted = started;
  const search = { ...run.search, ...(options.base ? { baseImage: options.base } : {}) };
  const result = await replay({ search, prngSeed: run.prngSeed }, scoring, async (step, scored) => {
    if (step.best <= shown) return;
    drawLevels(canvas, step.image);
    drawBars(bars, step.probabilities, digit);
    shown = step.best;
    status.textContent = `step ${step.iteration}, ${scored} images scored, ${
      (performance.now() - started).toFixed(0)
    } ms`;
    // Let the page paint, at most every FRAME_MS: a task boundary, where the browser renders
    // when a frame is due. A render at each improvement doubled a short search's time.
    if (performance.now() - painted >= FRAME_MS) {
      await nextTask();
      painted = performance.now();
    }
  });
  const wallMs = performance.now() - started;
  drawLevels(canvas, result.image);
  drawBars(bars, result.finalProbabilities, digit);
  const changed = options.base ? pixelsChanged(options.base, result.image) : undefined;
  status.textContent = `${result.converged ? "Converged" : result.stuck ? "Stuck" : "Stopped"}: ${
    (result.finalConfidence * 100).toFixed(2)
  } % a ${digit} after ${result.iterations} steps, ${result.evaluations} evaluations, ${
    wallMs.toFixed(0)
  } ms${changed === undefined ? "" : `; ${changed} of 784 pixels changed`}`;
  return {
    converged: result.converged,
    iterations: result.iterations,
    evaluations: result.evaluations,
    finalConfidence: result.finalConfidence,
    pixels: toBase64(result.image),
    wallMs,
    ...(changed === undefined ? {} : { pixelsChanged: changed }),
  };
}

/** The form's values as a live URL's query. */
function formParams(form: HTMLFormElement): URLSearchParams {
  const params = new URLSearchParams(location.search);
  for (const name of ["model", "digit", "strategy", "objective", "seed", "target"]) {
    params.set(name, (form.elements.namedItem(name) as HTMLInputElement).value);
  }
  return params;
}

/** Fills the model and strategy menus: the served classifiers, and the URL's own choice. */
async function fillMenus(params: URLSearchParams): Promise<void> {
  const form = element<HTMLFormElement>("form");
  const models = element<HTMLSelectElement>("model");
  let names = ["cnn"];
  try {
    const index = await fetchJson<SiteIndex>("data/index.json");
    const classifiers = index.models.filter((m) => m.accuracy !== null).map((m) => m.name);
    if (classifiers.length > 0) names = classifiers;
  } catch { /* the page still runs the URL's model */ }
  const wanted = params.get("model");
  if (wanted && wanted !== OWN && !names.includes(wanted)) names.push(wanted);
  models.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
  models.value = wanted && names.includes(wanted)
    ? wanted
    : names.includes("cnn")
    ? "cnn"
    : names[0];
  const strategies = element<HTMLSelectElement>("strategy");
  strategies.replaceChildren(...STRATEGY_NAMES.map((n) => h("option", { value: n }, n)));
  const wantedStrategy = params.get("strategy") ?? "sketch";
  if (wantedStrategy.trim().startsWith("{")) {
    // A whole strategy object (liveQuery's URLs): kept as it is, so that the form sends it back.
    let name = "?";
    try {
      name = String(JSON.parse(wantedStrategy).name);
    } catch { /* liveRun says what is wrong with it */ }
    strategies.append(h("option", { value: wantedStrategy }, `${name} (the URL's parameters)`));
  }
  strategies.value = wantedStrategy;
  // The URL's other parameters (stop rules, the strategy's own) travel with the form.
  const shown = new Set(["model", "digit", "strategy", "objective", "seed", "target", "run"]);
  for (const [key, value] of params) {
    if (!shown.has(key)) form.append(h("input", { type: "hidden", name: key, value }));
  }

  for (const name of ["digit", "objective", "seed", "target"]) {
    const value = params.get(name);
    if (value !== null) (form.elements.namedItem(name) as HTMLInputElement).value = value;
  }
}

/** The drawing pad: 28×28 levels under a soft round brush, scored as it changes. */
function startPad(form: HTMLFormElement): void {
  const pad = element<HTMLCanvasElement>("pad");
  const bars = element("pad-bars");
  const status = element("pad-status");
  const levels = new Uint8Array(784);
  drawLevels(pad, levels);
  drawBars(bars, new Array(10).fill(0), null);
  let scoring = false, again = false;
  const scoreNow = async () => {
    if (scoring) {
      again = true;
      return;
    }
    scoring = true;
    try {
      const model = (form.elements.namedItem("model") as HTMLSelectElement).value;
      // Sessions are cached per file: a second dropped file gets its own.
      const score = await openWebScorer(sourceOf(model));
      const p = await score(Float32Array.from(levels, (v) => v / 255), 1);
      const digit = Number((form.elements.namedItem("digit") as HTMLInputElement).value);
      drawBars(bars, p, digit);
      let top = 0;
      for (let k = 1; k < 10; k++) if (p[k] > p[top]) top = k;
      status.textContent = `The network sees a ${top} (${(p[top] * 100).toFixed(1)} %).`;
    } catch (error) {
      status.textContent = `Cannot score: ${(error as Error).message}`;
    } finally {
      scoring = false;
      if (again) {
        again = false;
        scoreNow();
      }
    }
  };
  let last: [number, number] | null = null;
  const ink = (x: number, y: number) => {
    // A brush about 2.5 px across, as MNIST's strokes are: full at its centre, soft at its rim.
    for (let yy = Math.floor(y - 2); yy <= Math.ceil(y + 2); yy++) {
      for (let xx = Math.floor(x - 2); xx <= Math.ceil(x + 2); xx++) {
        if (xx < 0 || yy < 0 || xx > 27 || yy > 27) continue;
        const d = Math.hypot(xx + 0.5 - x, yy + 0.5 - y);
        const v = Math.round(255 * Math.min(1, Math.max(0, 1.6 - d)));
        if (v > levels[yy * 28 + xx]) levels[yy * 28 + xx] = v;
      }
    }
  };
  const at = (event: PointerEvent): [number, number] => {
    const box = pad.getBoundingClientRect();
    return [
      (event.clientX - box.left) / box.width * 28,
      (event.clientY - box.top) / box.height * 28,
    ];
  };
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    last = at(event);
    ink(...last);
    drawLevels(pad, levels);
    scoreNow();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const [x, y] = at(event);
    const steps = Math.ceil(Math.hypot(x - last[0], y - last[1]) * 3);
    for (let s = 1; s <= steps; s++) {
      ink(last[0] + (x - last[0]) * s / steps, last[1] + (y - last[1]) * s / steps);
    }
    last = [x, y];
    drawLevels(pad, levels);
    scoreNow();
  });
  pad.addEventListener("pointerup", () => (last = null));
  element("clear").addEventListener("click", () => {
    levels.fill(0);
    drawLevels(pad, levels);
    scoreNow();
  });
  element("morph").addEventListener("click", async () => {
    try {
      const run = liveRun(formParams(form));
      if (run.decoders.length > 0) {
        throw new RangeError(
          `${run.cell.strategy?.name} draws through a decoder and cannot start from a drawing: choose a strategy on pixels (sketch, stroke, square, es, nes, greedy)`,
        );
      }
      globalThis.window.identikitResult = await runLive(run, {
        base: levels.slice(),
        canvas: pad,
        bars,
        status,
      });
      levels.set(fromBase64(globalThis.window.identikitResult.pixels));
    } catch (error) {
      status.textContent = `Cannot run: ${(error as Error).message}`;
      globalThis.window.identikitError = (error as Error).message;
    }
  });
  // For scripts: draw levels on the pad as a person would, then score them.
  (globalThis as unknown as { identikitDraw?: (l: number[]) => Promise<void> }).identikitDraw =
    async (l) => {
      levels.set(l);
      drawLevels(pad, levels);
      await scoreNow();
    };
}

/** The form for a model file of one's own: its description, its checks, a clear message. */
function startOwnModel(): void {
  const status = element("own-status");
  element("own-load").addEventListener("click", async () => {
    const file = element<HTMLInputElement>("own-file").files?.[0];
    if (!file) {
      status.textContent = "Choose an .onnx file first.";
      return;
    }
    const layout = element<HTMLSelectElement>("own-layout").value;
    const scale = element<HTMLSelectElement>("own-scale").value;
    const output = element<HTMLSelectElement>("own-output").value;
    const spec: ModelIoSpec = {
      ...(layout ? { layout: layout as ModelIoSpec["layout"] } : {}),
      scale: scale === "mnist"
        ? { mean: 0.1307, std: 0.3081 }
        : { min: 0, max: Number(scale.split(",")[1]) },
      ...(output ? { output: output as ModelIoSpec["output"] } : {}),
    };
    const candidate = { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()), spec };
    status.textContent = `Checking ${file.name}…`;
    try {
      await openWebScorer(candidate);
    } catch (error) {
      status.replaceChildren(
        h(
          "span",
          { class: "error", role: "alert" },
          ownModelError(file.name, error as Error),
        ),
      );
      globalThis.window.identikitError = (error as Error).message;
      return;
    }
    ownModel = candidate;
    const models = element<HTMLSelectElement>("model");
    models.querySelector(`option[value="${OWN}"]`)?.remove();
    models.append(h("option", { value: OWN }, `your file: ${file.name}`));
    models.value = OWN;
    status.textContent = `${file.name} passed the checks: the live search and the pad now use it.`;
  });
}

/** Starts the live page. */
export async function startLive(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const form = element<HTMLFormElement>("form");
  await fillMenus(params);
  startPad(form);
  startOwnModel();
  form.addEventListener("submit", async (event) => {
    // A dropped model cannot travel in a URL: run it in place.
    if ((form.elements.namedItem("model") as HTMLSelectElement).value !== OWN) return;
    event.preventDefault();
    await runFromParams(formParams(form));
  });
  markReady();
  if (params.get("run") === "1") await runFromParams(params);
}

async function runFromParams(params: URLSearchParams): Promise<void> {
  const status = element<HTMLParagraphElement>("status");
  try {
    const run = liveRun(params);
    const provider = parseWebProvider(params.get("provider"));
    globalThis.window.identikitResult = await runLive(run, {
      canvas: element("image"),
      bars: element("bars"),
      status,
      provider,
    });
  } catch (error) {
    const message = (error as Error).message;
    status.textContent = `Cannot run: ${message}`;
    globalThis.window.identikitError = message;
  }
}

/** A dropped file's refusal, said once: "Cannot use F: why". */
function ownModelError(file: string, error: Error): string {
  const said = `Cannot use ${file}: `;
  return error.message.startsWith(said) ? error.message : said + error.message;
}
