/**
 * Drives Debian's headless Chromium through playwright-core over the studio's pages for
 * tests/studio_test.ts, in its own process (a browser needs permissions the suite lacks):
 * `deno run -A tests/_browser_pages.ts PLAN.json`, where the plan names the studio's URL (or a
 * folder to serve statically, as any static host would, without COOP/COEP), a screenshot
 * folder, the sweep and the checks to make. Prints one JSON line with what it saw.
 */

/// <reference lib="dom" />

import { openChromium } from "../cli/_chromium.ts";

/** What the test asks. */
export interface PagesPlan {
  /** The studio's URL; or absent with `serve`. */
  url?: string;
  /** A static export to serve from a plain file server on 127.0.0.1. */
  serve?: string;
  screenshots: string;
  /** Screenshot name prefix. */
  prefix: string;
  sweep: string;
  /** Sweeps whose first record to replay (the run page with replay=1). */
  replays?: string[];
  /** Files to offer as "your own model" on the live page (each expected to fail its checks). */
  badModels?: string[];
  /** A file to offer with its description, expected to pass (its status line is reported). */
  goodModel?: { file: string; layout: string; scale: string; output: string };
  /** Levels to draw on the live page's pad. */
  drawing?: number[];
}

/** What the driver saw. */
export interface PagesReport {
  consoleErrors: string[];
  home: { sweeps: string[]; models: string[] };
  sweep: { images: number; labelled: number; boards: string[]; readyMs: number; figures: number };
  card: string;
  /** Each replay's `window.identikitReplay`, or `{ error }`. */
  replays: { equal?: boolean; divergedAt?: number | null; error?: string }[];
  ownModels?: string[];
  goodModel?: string;
  pad?: string;
  /** The pad's drawing turned into digit 3 with sketch ("Turn it into the digit"). */
  morph?: { converged: boolean; pixelsChanged?: number };
}

/** A minimal static file server (no special headers): what a static host does. */
function serveStatic(root: string): { url: string; close(): Promise<void> } {
  const types: Record<string, string> = {
    html: "text/html",
    js: "text/javascript",
    mjs: "text/javascript",
    json: "application/json",
    wasm: "application/wasm",
    png: "image/png",
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    const file = path === "/" ? "/index.html" : path;
    try {
      const body = await Deno.readFile(`${root}${file}`);
      return new Response(body, {
        headers: { "content-type": types[file.split(".").pop()!] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

if (import.meta.main) {
  const plan: PagesPlan = JSON.parse(await Deno.readTextFile(Deno.args[0]));
  const served = plan.serve ? serveStatic(plan.serve) : null;
  const url = plan.url ?? served!.url;
  const { browser, page, consoleErrors } = await openChromium();
  const report: Partial<PagesReport> = { consoleErrors };
  const shot = (name: string) => `${plan.screenshots}/${plan.prefix}-${name}.png`;
  try {
    const ready = () =>
      page.waitForFunction(
        () => "identikitReady" in globalThis || "identikitError" in globalThis,
        null,
        { timeout: 60_000 },
      );

    await page.goto(`${url}index.html`, { waitUntil: "load" });
    await ready();
    report.home = await page.evaluate(() => ({
      sweeps: [...document.querySelectorAll("#sweeps a")].map((a) => a.textContent ?? ""),
      models: [...document.querySelectorAll("#models td:first-child")].map((t) =>
        t.textContent ?? ""
      ),
    }));
    await page.screenshot({ path: shot("home"), fullPage: true });

    const started = Date.now();
    await page.goto(`${url}sweep.html?name=${encodeURIComponent(plan.sweep)}`, {
      waitUntil: "load",
    });
    await ready();
    const readyMs = Date.now() - started;
    report.sweep = {
      ...await page.evaluate(() => ({
        images: document.querySelectorAll("#boards img[data-record]").length,
        labelled: [...document.querySelectorAll("#boards img[data-record]")]
          .filter((i) => /^digit \d, seed \d+: p = /.test(i.getAttribute("aria-label") ?? ""))
          .length,
        boards: [...document.querySelectorAll("#boards h2")].map((b) => b.textContent ?? ""),
      })),
      readyMs,
      figures: await page.waitForFunction(
        () => (globalThis as unknown as { identikitFigures?: number }).identikitFigures,
        null,
        { timeout: 60_000 },
      ).then((h) => h.jsonValue()) as number,
    };
    // Hover the first image.
    await page.hover("#boards img[data-record]");
    await page.waitForSelector("#card", { state: "visible" });
    // Its nearest training digit arrives on its own (asked for that record alone).
    await page.waitForFunction(
      () => /nearest training digit: a \d/.test(document.querySelector("#card")?.textContent ?? ""),
      null,
      { timeout: 30_000 },
    );
    report.card = await page.textContent("#card") ?? "";
    await page.screenshot({ path: shot("sweep"), fullPage: false });

    report.replays = [];
    for (const [i, sweep] of (plan.replays ?? []).entries()) {
      await page.goto(`${url}sweep.html?name=${encodeURIComponent(sweep)}`, { waitUntil: "load" });
      await ready();
      const href = await page.getAttribute("#boards a", "href");
      await page.goto(`${url}${href}&replay=1`, { waitUntil: "load" });
      await page.waitForFunction(
        () => "identikitReplay" in globalThis || "identikitError" in globalThis,
        null,
        { timeout: 120_000 },
      );
      report.replays!.push(
        await page.evaluate(() => {
          const w = globalThis as unknown as Record<string, unknown>;
          return w.identikitReplay ?? { error: w.identikitError };
        }),
      );
      await page.screenshot({ path: shot(`run-${i}`), fullPage: true });
    }

    await page.goto(`${url}live.html?digit=3&target=0.8&seed=1`, { waitUntil: "load" });
    await ready();
    if (plan.drawing) {
      await page.evaluate(async (levels) => {
        const draw = (globalThis as unknown as { identikitDraw: (l: number[]) => Promise<void> })
          .identikitDraw;
        await draw(levels);
      }, plan.drawing);
      await page.waitForFunction(
        () => /network sees/.test(document.querySelector("#pad-status")?.textContent ?? ""),
        null,
        { timeout: 60_000 },
      );
      report.pad = await page.textContent("#pad-status") ?? "";
    }
    if (plan.drawing) {
      await page.click("#morph");
      await page.waitForFunction(
        () => "identikitResult" in globalThis || "identikitError" in globalThis,
        null,
        { timeout: 60_000 },
      );
      report.morph = await page.evaluate(() => {
        const w = globalThis as unknown as { identikitResult?: unknown; identikitError?: string };
        return (w.identikitResult ?? { error: w.identikitError }) as PagesReport["morph"];
      });
      await page.screenshot({ path: shot("morph"), fullPage: true });
    }
    report.ownModels = [];
    for (const file of plan.badModels ?? []) {
      await page.setInputFiles("#own-file", file);
      await page.click("#own-load");
      await page.waitForFunction(
        (name) => (document.querySelector("#own-status .error")?.textContent ?? "").includes(name),
        file.split("/").pop()!,
        { timeout: 60_000 },
      );
      report.ownModels.push(await page.textContent("#own-status") ?? "");
    }
    if (plan.goodModel) {
      const { file, layout, scale, output } = plan.goodModel;
      await page.setInputFiles("#own-file", file);
      await page.selectOption("#own-layout", layout);
      await page.selectOption("#own-scale", scale);
      await page.selectOption("#own-output", output);
      await page.click("#own-load");
      // Its own verdict, not the last file's.
      await page.waitForFunction(
        (name) => {
          const text = document.querySelector("#own-status")?.textContent ?? "";
          return text.startsWith(`${name} passed the checks`) ||
            text.startsWith(`Cannot use ${name}:`);
        },
        file.split("/").pop()!,
        { timeout: 60_000 },
      );
      report.goodModel = await page.textContent("#own-status") ?? "";
    }
    await page.screenshot({ path: shot("live"), fullPage: true });
  } finally {
    await browser.close();
    await served?.close();
  }
  console.log(JSON.stringify(report));
}
