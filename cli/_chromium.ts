/**
 * Debian's headless Chromium through playwright-core, for the studio's benchmark and browser
 * tests: one page that collects its console errors, and a live run's result read off it.
 * playwright is imported on first use, so importing this file asks no permission.
 */

import type { Browser, Page } from "playwright-core";

/** Debian's chromium package. */
export const CHROMIUM = "/usr/bin/chromium";

/** A launched browser, its page, and the console errors (and page errors) it has seen. */
export interface OpenChromium {
  browser: Browser;
  page: Page;
  consoleErrors: string[];
}

/** Launches headless Chromium (no sandbox: these machines run as root) with one page. */
export async function openChromium(
  viewport = { width: 1280, height: 900 },
): Promise<OpenChromium> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox"],
    headless: true,
  });
  const page = await browser.newPage({ viewport });
  const consoleErrors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  return { browser, page, consoleErrors };
}

/** Opens a live URL and waits for its `window.identikitResult` (or `identikitError`). */
export async function liveResult<T>(
  page: Page,
  url: string,
  timeout = 120_000,
): Promise<{ result?: T; error?: string }> {
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(
    () => "identikitResult" in globalThis || "identikitError" in globalThis,
    null,
    { timeout },
  );
  return await page.evaluate(() => {
    const w = globalThis as unknown as { identikitResult?: unknown; identikitError?: string };
    return {
      ...(w.identikitResult ? { result: w.identikitResult } : {}),
      ...(w.identikitError ? { error: w.identikitError } : {}),
    };
  }) as { result?: T; error?: string };
}
