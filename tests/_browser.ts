/**
 * Drives Debian's headless Chromium through playwright-core for tests/studio_test.ts, in its own
 * process (a browser needs permissions the test suite does not have):
 * `deno run … tests/_browser.ts URL SCREENSHOT_DIR QUERY…` opens `/live` (no run), then each
 * `/live?QUERY`, waits for its result, saves a screenshot of each, and prints one JSON line:
 * `{ runs: [{ query, result, error }], consoleErrors: [...] }`.
 */

/** Debian's chromium package. */
export const CHROMIUM = "/usr/bin/chromium";

interface Run {
  query: string;
  result?: unknown;
  error?: string;
}

if (import.meta.main) {
  const [url, screenshots, ...queries] = Deno.args;
  // Imported here, so that the tests may import CHROMIUM without playwright's permissions.
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox"],
    headless: true,
  });
  const consoleErrors: string[] = [];
  const runs: Run[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 760, height: 520 } });
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
    await page.goto(`${url}live`, { waitUntil: "load" });
    await page.screenshot({ path: `${screenshots}/live-form.png` });
    for (const [i, query] of queries.entries()) {
      await page.goto(`${url}live?${query}`, { waitUntil: "load" });
      await page.waitForFunction(
        () => "identikitResult" in globalThis || "identikitError" in globalThis,
        null,
        { timeout: 120_000 },
      );
      const [result, error] = await page.evaluate(() => {
        const w = globalThis as unknown as Record<string, unknown>;
        return [w.identikitResult, w.identikitError];
      });
      runs.push({ query, ...(result ? { result } : {}), ...(error ? { error } : {}) } as Run);
      await page.screenshot({ path: `${screenshots}/live-${i}.png` });
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ runs, consoleErrors }));
}
