/**
 * `deno task bench:studio results/<name>`: runs every record of a results folder again on the
 * studio's live page in Debian's headless Chromium (onnxruntime-web, the page already loaded)
 * and says how often the page's result equals the CLI's record (evaluations and pixels), how
 * long an identikit takes in the page, and how soon the folder's sweep page is interactive.
 */

/// <reference lib="dom" />

import { decodeGreyPng } from "../experiments/store/images.ts";
import { readConfigRecords } from "../experiments/store/config_records.ts";
import { cellKey, expandCells } from "../experiments/sweep/axes.ts";
import { quantile } from "../experiments/analysis/statistics.ts";
import { UsageError } from "../common/errors.ts";
import { PROJECT_ROOT } from "../common/files.ts";
import { fromBase64 } from "../common/base64.ts";
import { BUNDLE_COMMAND, startStudio } from "../studio/server.ts";
import { liveQuery } from "../studio/live_cell.ts";
import { pixelsChanged } from "../studio/replay.ts";
import { intFlag, modelsDirFlag, parseFolderFlags, runMain } from "./_cli.ts";
import { CHROMIUM, liveResult, openChromium } from "./_chromium.ts";
import type { Page } from "playwright-core";

const USAGE =
  `Usage: deno task bench:studio results/<name> [--limit N] [--screenshot F] [--models-dir models]

Runs each record of the results folder again on the studio's live page in headless Chromium
(Debian's ${CHROMIUM}, driven by playwright-core) and prints: how many of the page's results
equal the CLI's records (evaluations and the 784 final levels), the divergent ones, the page's
wall time per identikit (median, per digit; from the search's start, the page and model already
loaded), and the time until the folder's sweep page is interactive (median of 3 loads).
It runs with all permissions: playwright reads /proc, which Deno grants only with --allow-all.`;

/** One record run again in the page. */
interface Rerun {
  cell: string;
  digit: number;
  equal: boolean;
  converged: boolean;
  wallMs: number;
  evaluations: number;
  cliEvaluations: number;
  pixelsDiffer: number;
  error?: string;
}

if (import.meta.main) {
  await runMain(async () => {
    const { values, dir } = parseFolderFlags(Deno.args, {
      usage: USAGE,
      flags: {
        limit: {
          type: "string",
          arg: "N",
          description: "the first N records only",
          shownDefault: "all",
        },
        screenshot: {
          type: "string",
          arg: "FILE",
          description:
            "also save the sweep page's last board with a hover card as a PNG (docs/studio.png is made so from results/strategies)",
        },
        "models-dir": modelsDirFlag("the models the page opens"),
      },
    });
    const { config, records } = await readConfigRecords(dir);
    const limit = intFlag("limit", values.limit, { fallback: records.length, min: 1 });
    const cells = new Map(expandCells(config).map((c) => [cellKey(c), c]));
    const chosen = records.slice(0, limit);
    // Checked before anything starts: every record must be one a live URL can say.
    const queries = chosen.map((r) => liveQuery(config, cells.get(cellKey(r))!));
    try {
      await Deno.stat(CHROMIUM);
    } catch {
      throw new UsageError(`${CHROMIUM} is missing`, { hint: "apt-get install chromium" });
    }
    const name = dir.slice(dir.lastIndexOf("/") + 1);
    // The pages' scripts, bundled as `deno task studio` bundles them first.
    const bundled = await new Deno.Command("deno", {
      args: [...BUNDLE_COMMAND],
      cwd: PROJECT_ROOT,
      stdin: "null",
    }).output();
    if (!bundled.success) throw new Error(new TextDecoder().decode(bundled.stderr));
    const studio = await startStudio({
      port: 0,
      modelsDir: values["models-dir"],
      resultsDir: dir.includes("/") ? dir.slice(0, dir.lastIndexOf("/")) : ".",
      root: PROJECT_ROOT,
    });
    const { browser, page } = await openChromium();
    const reruns: Rerun[] = [];
    const sweepMs: number[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        // From the start of navigation to the page's word that it is interactive.
        await page.goto(`${studio.url}sweep.html?name=${encodeURIComponent(name)}`, {
          waitUntil: "commit",
        });
        const ready = await page.waitForFunction(
          () => (globalThis as unknown as { identikitReady?: number }).identikitReady,
          null,
          { timeout: 60_000 },
        );
        sweepMs.push(Math.round(await ready.jsonValue() as number));
      }
      if (values.screenshot) {
        await screenshot(
          page,
          `${studio.url}sweep.html?name=${encodeURIComponent(name)}`,
          values.screenshot,
        );
      }
      for (const [i, r] of chosen.entries()) {
        const { result, error } = await liveResult<
          { converged: boolean; evaluations: number; pixels: string; wallMs: number }
        >(page, `${studio.url}live?${queries[i]}`, 600_000);
        const levels = decodeGreyPng(await Deno.readFile(`${dir}/${r.image}`)).levels;
        const differ = result ? pixelsChanged(fromBase64(result.pixels), levels) : 784;
        const rerun: Rerun = {
          cell: r.cell,
          digit: r.digit,
          equal: !!result && differ === 0 && result.evaluations === r.evaluations,
          converged: result?.converged ?? false,
          wallMs: result?.wallMs ?? NaN,
          evaluations: result?.evaluations ?? 0,
          cliEvaluations: r.evaluations,
          pixelsDiffer: differ,
          ...(error ? { error } : {}),
        };
        reruns.push(rerun);
        console.error(
          `${i + 1}/${chosen.length} ${r.cell}: ${rerun.equal ? "equal" : "DIFFERS"}, ${
            rerun.wallMs.toFixed(0)
          } ms${error ? ` (${error})` : ""}`,
        );
      }
    } finally {
      await browser.close();
      await studio.shutdown();
    }
    printSummary(dir, reruns, sweepMs);
  });
}

function median(values: number[]): number {
  return values.length ? quantile(values, 0.5) : NaN;
}

function printSummary(dir: string, reruns: Rerun[], sweepMs: number[]): void {
  const equal = reruns.filter((r) => r.equal).length;
  const converged = reruns.filter((r) => r.converged).length;
  console.log(`${dir}: ${reruns.length} records run again on the live page (headless Chromium)`);
  console.log(
    `- equal to the CLI's record (evaluations and pixels): ${equal}/${reruns.length} (${
      (100 * equal / Math.max(reruns.length, 1)).toFixed(1)
    } %)`,
  );
  console.log(`- converged in the page: ${converged}/${reruns.length}`);
  console.log(
    `- wall time per identikit: median ${median(reruns.map((r) => r.wallMs)).toFixed(0)} ms, p90 ${
      quantile(reruns.map((r) => r.wallMs), 0.9).toFixed(0)
    } ms`,
  );
  const digits = [...new Set(reruns.map((r) => r.digit))].sort((a, b) => a - b);
  console.log(
    `- median per digit (ms): ${
      digits.map((d) =>
        `${d}: ${median(reruns.filter((r) => r.digit === d).map((r) => r.wallMs)).toFixed(0)}`
      )
        .join(", ")
    }`,
  );
  console.log(
    `- sweep page interactive: median ${median(sweepMs).toFixed(0)} ms of ${sweepMs.join(", ")} ms`,
  );
  for (const r of reruns.filter((r) => !r.equal)) {
    console.log(
      `  differs: ${r.cell}: ${r.evaluations} evaluations in the page, ${r.cliEvaluations} in the record, ${r.pixelsDiffer} pixels differ${
        r.error ? ` (${r.error})` : ""
      }`,
    );
  }
}

/**
 * The sweep page's last board, a hover card open on one of its images with its nearest training
 * digit, as a PNG (1000 × 700).
 */
async function screenshot(page: Page, url: string, file: string): Promise<void> {
  await page.setViewportSize({ width: 1000, height: 700 });
  const ready = () => page.waitForFunction(() => "identikitReady" in globalThis);
  await page.goto(url, { waitUntil: "load" });
  await ready();
  // Pages of settings are the facets named "<page>: <settings>".
  const pages = await page.$$eval(
    "#facets a",
    (links) => links.filter((a) => /^\d+:/.test(a.textContent ?? "")).length,
  );
  if (pages > 1) {
    await page.goto(`${url}&page=${pages}`, { waitUntil: "load" });
    await ready();
  }
  await page.evaluate(() => {
    const boards = document.querySelectorAll("#boards section");
    const last = boards[boards.length - 1];
    scrollTo(0, last.getBoundingClientRect().top + scrollY - 20);
  });
  const images = await page.$$("#boards section:last-of-type img[data-record]");
  await images[Math.min(24, images.length - 1)].hover();
  await page.waitForFunction(() =>
    /nearest training digit: a/.test(document.querySelector("#card")?.textContent ?? "")
  );
  await page.screenshot({ path: file });
  console.error(`Wrote ${file}`);
}
