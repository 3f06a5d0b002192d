/**
 * The live page's script (bundled for the browser by studio/server.ts): opens the model with
 * onnxruntime-web and runs the CLI's seeded search on it, drawing the image as it grows beside
 * the ten probabilities. `?run=1` starts on load and leaves the result in
 * `window.identikitResult` for scripts.
 */

/// <reference lib="dom" />

import { createPrng, createSearch, PIXELS } from "../experiments/search/mod.ts";
import { type LiveRun, liveRun } from "./live_cell.ts";
import { openWebScorer } from "./web_scorer.ts";

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
}

declare global {
  interface Window {
    identikitResult?: LiveResult;
    identikitError?: string;
  }
}

const CLASSES = 10;

function element<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

function drawImage(canvas: HTMLCanvasElement, levels: ArrayLike<number>): void {
  const context = canvas.getContext("2d")!;
  const data = context.createImageData(28, 28);
  for (let i = 0; i < PIXELS; i++) {
    // Ink is dark on white paper, as people draw.
    const v = 255 - levels[i];
    data.data.set([v, v, v, 255], i * 4);
  }
  const small = new OffscreenCanvas(28, 28);
  small.getContext("2d")!.putImageData(data, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

function drawBars(probabilities: ArrayLike<number>, digit: number): void {
  const bars = element<HTMLDivElement>("bars");
  bars.replaceChildren(
    ...Array.from({ length: CLASSES }, (_, k) => {
      const row = document.createElement("div");
      row.className = k === digit ? "bar target" : "bar";
      const p = probabilities[k] ?? 0;
      row.innerHTML = `<span class="label">${k}</span><span class="track"><span class="fill" ` +
        `style="width:${(p * 100).toFixed(1)}%"></span></span><span class="value">${
          p.toFixed(3)
        }</span>`;
      return row;
    }),
  );
}

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

function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

/** Runs the search, drawing each improvement; resolves with the result. */
async function runLive(run: LiveRun): Promise<LiveResult> {
  const status = element<HTMLParagraphElement>("status");
  const canvas = element<HTMLCanvasElement>("image");
  status.textContent = `Opening ${run.model}…`;
  const score = await openWebScorer(run.model);
  const digit = run.cell.digit;
  const search = createSearch(run.search, createPrng(run.prngSeed));
  const started = performance.now();
  let evaluations = 0;
  let shown = -Infinity;
  let painted = started;
  while (!search.done) {
    const { images, count } = search.propose();
    const probabilities = await score(images, count);
    evaluations += count;
    search.accept(probabilities);
    if (search.best > shown) {
      // The improving image is the proposal whose target probability the search now holds.
      for (let n = 0; n < count; n++) {
        if (probabilities[n * CLASSES + digit] === search.best) {
          const levels = images.subarray(n * PIXELS, (n + 1) * PIXELS).map((x) => x * 255);
          drawImage(canvas, levels);
          drawBars(probabilities.subarray(n * CLASSES, (n + 1) * CLASSES), digit);
          shown = search.best;
          break;
        }
      }
      status.textContent = `step ${search.iteration}, ${evaluations} evaluations, ${
        (performance.now() - started).toFixed(0)
      } ms`;
      // Let the page paint, at most every FRAME_MS: a task boundary, where the browser renders
      // when a frame is due. A render at each improvement doubled a short search's time.
      if (performance.now() - painted >= FRAME_MS) {
        await nextTask();
        painted = performance.now();
      }
    }
  }
  const result = search.result();
  const wallMs = performance.now() - started;
  drawImage(canvas, result.image);
  drawBars(result.finalProbabilities, digit);
  status.textContent = `${result.converged ? "Converged" : result.stuck ? "Stuck" : "Stopped"}: ${
    (result.finalConfidence * 100).toFixed(2)
  } % a ${digit} after ${result.iterations} steps, ${result.evaluations} evaluations, ${
    wallMs.toFixed(0)
  } ms`;
  return {
    converged: result.converged,
    iterations: result.iterations,
    evaluations: result.evaluations,
    finalConfidence: result.finalConfidence,
    pixels: toBase64(result.image),
    wallMs,
  };
}

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const form = element<HTMLFormElement>("form");
  for (const name of ["model", "digit", "strategy", "seed", "target"]) {
    const value = params.get(name);
    if (value !== null) (form.elements.namedItem(name) as HTMLInputElement).value = value;
  }
  if (params.get("run") !== "1") return;
  try {
    const run = liveRun(params);
    const result = await runLive(run);
    globalThis.window.identikitResult = result;
  } catch (error) {
    const message = (error as Error).message;
    element<HTMLParagraphElement>("status").textContent = `Cannot run: ${message}`;
    globalThis.window.identikitError = message;
  }
}

main();
