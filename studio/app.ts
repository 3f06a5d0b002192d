/**
 * The studio's one browser bundle (built by studio/server.ts with `deno bundle --platform
 * browser`): each page's HTML names its page, and this starts that page's script.
 */

/// <reference lib="dom" />

import { startHome } from "./home_page.ts";
import { startLive } from "./live.ts";
import { startRun } from "./run_page.ts";
import { startSweep } from "./sweep_page.ts";

const PAGES: Record<string, () => Promise<void>> = {
  index: startHome,
  sweep: startSweep,
  run: startRun,
  live: startLive,
};

const start = PAGES[document.body.dataset.page ?? ""];
if (start) start();
