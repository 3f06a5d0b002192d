/** What every studio page draws with: elements, 28×28 images, probability bars, JSON fetches. */

/// <reference lib="dom" />

import { fromBase64 } from "../common/base64.ts";

export { fromBase64 };

/** The element with this id (the page's HTML has it). */
export function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
}

/** A new element with attributes and children (text or elements). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

/** Draws 784 levels (0 = no ink) on a canvas, ink dark on white paper as people draw. */
export function drawLevels(canvas: HTMLCanvasElement, levels: ArrayLike<number>): void {
  const context = canvas.getContext("2d")!;
  const data = context.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = 255 - levels[i];
    data.data.set([v, v, v, 255], i * 4);
  }
  const small = new OffscreenCanvas(28, 28);
  small.getContext("2d")!.putImageData(data, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(small, 0, 0, canvas.width, canvas.height);
}

/** A canvas showing 784 levels at `size` screen pixels. */
export function levelsCanvas(levels: ArrayLike<number>, size = 84): HTMLCanvasElement {
  const canvas = h("canvas", { width: String(size), height: String(size), class: "digit" });
  drawLevels(canvas, levels);
  return canvas;
}

/** Ten probability bars into `into`, the target's highlighted. */
export function drawBars(
  into: HTMLElement,
  probabilities: ArrayLike<number>,
  target: number | null,
): void {
  into.replaceChildren(
    ...Array.from({ length: 10 }, (_, k) => {
      const p = probabilities[k] ?? 0;
      const fill = h("span", { class: "fill", style: `width:${(p * 100).toFixed(1)}%` });
      return h(
        "div",
        { class: k === target ? "bar target" : "bar" },
        h("span", { class: "label" }, String(k)),
        h("span", { class: "track" }, fill),
        h("span", { class: "value" }, p.toFixed(3)),
      );
    }),
  );
}

/** Fetches JSON, with an error that names the URL and its status. */
export async function fetchJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} is ${response.status}: ${await response.text()}`);
  return await response.json() as T;
}

/** The 8-bit levels of a greyscale PNG the studio serves (a record's image). */
export async function fetchLevels(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} is ${response.status}`);
  // Decoded without colour management, so the levels are the file's own.
  const bitmap = await createImageBitmap(await response.blob(), {
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d", { willReadFrequently: true })!;
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const levels = new Uint8Array(bitmap.width * bitmap.height);
  for (let i = 0; i < levels.length; i++) levels[i] = rgba[i * 4];
  return levels;
}

/** A record's image URL, relative to the page (`results/<sweep>/images/…`). */
export function imageUrl(sweep: string, image: string): string {
  return `results/${encodeURIComponent(sweep)}/${
    image.split("/").map(encodeURIComponent).join("/")
  }`;
}

/** Shows an error on the page (and leaves it for scripts). */
export function showError(into: HTMLElement, message: string): void {
  into.replaceChildren(h("p", { class: "error", role: "alert" }, message));
  (globalThis as unknown as { identikitError?: string }).identikitError = message;
}

/** A number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Says the page is interactive: `window.identikitReady` holds the milliseconds since navigation
 * began (for scripts and bench:studio).
 */
export function markReady(): void {
  (globalThis as unknown as { identikitReady?: number }).identikitReady = performance.now();
}
