/**
 * Drives Debian's headless Chromium through playwright-core for tests/studio_test.ts, in its own
 * process (a browser needs permissions the test suite does not have):
 * `deno run … tests/_browser.ts URL SCREENSHOT_DIR QUERY…` opens `/live` (no run), then each
 * `/live?QUERY`, waits for its result, saves a screenshot of each, and prints one JSON line:
 * `{ runs: [{ query, result, error }], consoleErrors: [...] }`.
 */

import { CHROMIUM, liveResult, openChromium } from "../cli/_chromium.ts";

export { CHROMIUM };

interface Run {
  query: string;
  result?: unknown;
  error?: string;
}

if (import.meta.main) {
  const [url, screenshots, ...queries] = Deno.args;
  const { browser, page, consoleErrors } = await openChromium({ width: 760, height: 520 });
  const runs: Run[] = [];
  try {
    await page.goto(`${url}live`, { waitUntil: "load" });
    await page.screenshot({ path: `${screenshots}/live-form.png` });
    for (const [i, query] of queries.entries()) {
      runs.push({ query, ...await liveResult(page, `${url}live?${query}`) });
      await page.screenshot({ path: `${screenshots}/live-${i}.png` });
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify({ runs, consoleErrors }));
}
