/**
 * A sweep's page: one board per setting (rows: digits, columns: seeds, both labelled), a few
 * boards and at most 20 seeds at a time, so no sweep becomes one giant image. Hovering an image
 * shows its record; clicking opens the run.
 */

/// <reference lib="dom" />

import type * as Figures from "./figures.ts";
import type { NearestDigit, SweepData, SweepRecord } from "./site_data.ts";
import {
  drawBars,
  element,
  fetchJson,
  fromBase64,
  h,
  imageUrl,
  levelsCanvas,
  markReady,
  showError,
} from "./ui.ts";

/** Settings per page and seeds per board. */
const BOARDS_PER_PAGE = 4;
const SEEDS_PER_BOARD = 20;

/** Fills the sweep page from `data/sweeps/<name>.json`, then loads the nearest digits. */
export async function startSweep(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const name = params.get("name") ?? "";
  const boards = element<HTMLDivElement>("boards");
  let data: SweepData;
  try {
    if (name === "") throw new Error("no sweep named: open sweep.html?name=<results folder>");
    data = await fetchJson<SweepData>(`data/sweeps/${encodeURIComponent(name)}.json`);
  } catch (error) {
    showError(boards, `Cannot show the sweep: ${(error as Error).message}`);
    return;
  }
  document.title = `identikit · ${data.name}`;
  element("title").textContent = data.name;
  element("description").textContent = data.description;
  const converged = data.records.filter((r) => r.converged).length;
  element("summary").textContent =
    `${data.records.length} runs of ${data.model ?? "an external model"}, ` +
    `${converged} reached the target; ${data.settings.length} setting${
      data.settings.length === 1 ? "" : "s"
    }. ` +
    `Orange frames: runs that did not. Hover an image for its record, click it for the run and its replay.`;
  const pages = Math.ceil(data.settings.length / BOARDS_PER_PAGE);
  const seedPages = Math.ceil(data.config.seeds.length / SEEDS_PER_BOARD);
  const page = clamp(Number(params.get("page") ?? 1), 1, pages);
  const seedPage = clamp(Number(params.get("seeds") ?? 1), 1, seedPages);
  drawFacets(data, page, pages, seedPage, seedPages);
  const seeds = data.config.seeds.slice(
    (seedPage - 1) * SEEDS_PER_BOARD,
    seedPage * SEEDS_PER_BOARD,
  );
  const shown = data.settings.slice((page - 1) * BOARDS_PER_PAGE, page * BOARDS_PER_PAGE);
  const byCell = new Map(data.records.map((r) => [`${r.setting}|${r.digit}|${r.seed}`, r]));
  boards.replaceChildren(
    ...shown.map((setting, i) => {
      const index = (page - 1) * BOARDS_PER_PAGE + i;
      return board(data, setting.label, index, seeds, byCell);
    }),
  );
  const nearest: Nearest = { known: {}, asked: new Set() };
  attachCard(data, boards, nearest);
  markReady();
  // The whole folder's nearest digits (tens of seconds for a large sweep on the studio's
  // server, a file of a static export), beside the figures.
  const all = fetchJson<Record<string, NearestDigit>>(nearestUrl(name))
    .then((found) => Object.assign(nearest.known, found))
    .catch((error) => (nearest.failed = (error as Error).message));
  await drawFigures(data);
  await all;
}

/** The nearest digits known so far, the images asked for one by one, and a failure. */
interface Nearest {
  known: Record<string, NearestDigit>;
  asked: Set<string>;
  failed?: string;
}

function nearestUrl(sweep: string, image?: string): string {
  return `data/nearest/${encodeURIComponent(sweep)}.json${
    image === undefined ? "" : `?image=${encodeURIComponent(image)}`
  }`;
}

function clamp(n: number, min: number, max: number): number {
  return Number.isInteger(n) ? Math.min(Math.max(n, min), Math.max(max, min)) : min;
}

/** The toolbar: pages of settings (named by their settings) and windows of seeds. */
function drawFacets(
  data: SweepData,
  page: number,
  pages: number,
  seedPage: number,
  seedPages: number,
): void {
  const link = (p: number, s: number) =>
    `sweep.html?name=${encodeURIComponent(data.name)}&page=${p}&seeds=${s}`;
  const buttons: HTMLElement[] = [];
  if (pages > 1) {
    for (let p = 1; p <= pages; p++) {
      const labels = data.settings.slice((p - 1) * BOARDS_PER_PAGE, p * BOARDS_PER_PAGE)
        .map((s) => s.label).join(" · ");
      buttons.push(
        h(
          "a",
          { href: link(p, seedPage), title: labels },
          h("button", {
            type: "button",
            "aria-pressed": String(p === page),
          }, `${p}: ${labels.length > 48 ? labels.slice(0, 46) + "…" : labels}`),
        ),
      );
    }
  }
  if (seedPages > 1) {
    for (let s = 1; s <= seedPages; s++) {
      const first = data.config.seeds[(s - 1) * SEEDS_PER_BOARD];
      const last = data.config.seeds[Math.min(s * SEEDS_PER_BOARD, data.config.seeds.length) - 1];
      buttons.push(
        h(
          "a",
          { href: link(page, s) },
          h("button", {
            type: "button",
            "aria-pressed": String(s === seedPage),
          }, `seeds ${first}–${last}`),
        ),
      );
    }
  }
  element("facets").replaceChildren(...buttons);
}

/** One setting's board: a row per digit, a column per seed, every image labelled. */
function board(
  data: SweepData,
  label: string,
  setting: number,
  seeds: number[],
  byCell: Map<string, SweepRecord>,
): HTMLElement {
  const grid = h("div", {
    class: "board",
    style: `grid-template-columns: 2rem repeat(${seeds.length}, 46px)`,
  });
  grid.append(
    h("span", { class: "col", title: "rows: digits; columns: seeds" }, "seed"),
    ...seeds.map((s) => h("span", { class: "col" }, String(s))),
  );
  for (const digit of data.config.digits) {
    grid.append(h("span", { class: "rowlabel" }, String(digit)));
    for (const seed of seeds) {
      const r = byCell.get(`${setting}|${digit}|${seed}`);
      if (!r) {
        grid.append(h("span", { class: "muted", title: "not run yet" }, "·"));
        continue;
      }
      const i = data.records.indexOf(r);
      const alt = `digit ${digit}, seed ${seed}: p = ${
        r.finalConfidence.toFixed(4)
      } after ${r.evaluations} evaluations`;
      grid.append(
        h(
          "a",
          {
            href: `run.html?sweep=${encodeURIComponent(data.name)}&image=${
              encodeURIComponent(r.image)
            }`,
            ...(r.converged ? {} : { class: "failed" }),
          },
          h("img", {
            src: imageUrl(data.name, r.image),
            alt,
            "aria-label": alt,
            "data-record": String(i),
          }),
        ),
      );
    }
  }
  return h("section", { class: "setting" }, h("h2", {}, label || "the config's setting"), grid);
}

/** The hover card: a record's numbers, probabilities, judges, and its nearest training digit. */
function attachCard(
  data: SweepData,
  boards: HTMLElement,
  nearest: Nearest,
): void {
  const card = element<HTMLDivElement>("card");
  let hovered: HTMLImageElement | null = null;
  const show = (img: HTMLImageElement) => {
    hovered = img;
    const r = data.records[Number(img.dataset.record)];
    const bars = h("div", { class: "bars" });
    drawBars(bars, r.finalProbabilities, r.digit);
    const n = nearest.known[r.image];
    if (!n && !nearest.asked.has(r.image)) {
      // Not computed yet: ask for this record alone (the studio answers in about 40 ms; a static
      // host answers the whole file, which holds it too).
      nearest.asked.add(r.image);
      fetchJson<Record<string, NearestDigit>>(nearestUrl(data.name, r.image))
        .then((found) => {
          Object.assign(nearest.known, found);
          if (hovered === img && card.style.display === "block") show(img);
        })
        .catch(() => {/* the whole file may still bring it */});
    }
    const pair = h(
      "div",
      { class: "pair" },
      h(
        "figure",
        {},
        h("img", { src: img.src, width: "84", height: "84", class: "digit record", alt: "" }),
        "this run",
      ),
      n
        ? h(
          "figure",
          {},
          levelsCanvas(fromBase64(n.pixels)),
          `nearest training digit: a ${n.label}, distance ${n.distance.toFixed(2)}`,
        )
        : h("figure", {}, nearest.failed ? "no nearest digit" : "nearest training digit: loading…"),
    );
    const judges = Object.entries(r.judges ?? {}).map(([j, v]) =>
      `${j}: ${v.label}${v.target ? " ✓" : " ✗"}${
        v.p === undefined ? "" : ` (p ${v.p.toFixed(3)})`
      }`
    );
    const fields: [string, string][] = [
      ["digit, seed", `${r.digit}, ${r.seed}`],
      ["setting", data.settings[r.setting].label || "—"],
      ["result", r.converged ? "reached the target" : r.stuck ? "stuck" : "stopped at its budget"],
      ["p(target)", r.finalConfidence.toFixed(4)],
      ["steps", String(r.iterations)],
      ["evaluations", r.evaluations.toLocaleString("en-US")],
      ...(judges.length ? [["judges", judges.join("; ")] as [string, string]] : []),
    ];
    card.replaceChildren(
      pair,
      h("dl", {}, ...fields.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      bars,
    );
    const box = img.getBoundingClientRect();
    card.style.display = "block";
    const left = box.right + 12 + 330 > innerWidth ? box.left - 342 : box.right + 12;
    card.style.left = `${Math.max(4, left)}px`;
    card.style.top = `${Math.max(4, Math.min(box.top, innerHeight - card.offsetHeight - 8))}px`;
  };
  boards.addEventListener("mouseover", (event) => {
    const img = (event.target as HTMLElement).closest("img[data-record]");
    if (img) show(img as HTMLImageElement);
  });
  boards.addEventListener("focusin", (event) => {
    const img = (event.target as HTMLElement).querySelector("img[data-record]");
    if (img) show(img as HTMLImageElement);
  });
  const hide = () => {
    card.style.display = "none";
    hovered = null;
  };
  // The card is fixed on the screen: it goes when the pointer, the focus or the page moves on.
  boards.addEventListener("mouseleave", hide);
  boards.addEventListener("focusout", hide);
  addEventListener("scroll", hide, { passive: true });
}

/**
 * Below the boards: the success-within-budget map (a slider sets the budget) and the report's
 * own figures (figures.json, when the report wrote one), drawn by the figures bundle.
 */
async function drawFigures(data: SweepData): Promise<void> {
  const into = element<HTMLDivElement>("figures");
  let figures: typeof Figures;
  try {
    figures = await import(new URL("assets/figures.js", document.baseURI).href) as typeof Figures;
  } catch (error) {
    showError(into, `Cannot load the figures: ${(error as Error).message}`);
    return;
  }
  const map = h("div", { class: "figure", id: "budget-map" });
  into.replaceChildren(map);
  const runs = data.records.map((r) => ({
    digit: r.digit,
    setting: data.settings[r.setting].label || "the config's setting",
    iterations: r.iterations,
    converged: r.converged,
  }));
  await figures.drawSpec(
    map,
    figures.budgetSpec(
      runs,
      data.config.target,
      data.settings.map((s) => s.label || "the config's setting"),
    ),
  );
  if (!data.figures.specs) {
    // A report written before figures.json: its SVGs, as they are.
    for (const file of data.figures.svg) {
      into.append(h("img", { src: imageUrl(data.name, file), alt: file, class: "figure" }));
    }
    (globalThis as unknown as { identikitFigures?: number }).identikitFigures = 1;
    return;
  }
  const specs: Record<string, Record<string, unknown>> = await fetchJson(
    imageUrl(data.name, "figures.json"),
  );
  for (const [file, spec] of Object.entries(specs)) {
    const figure = h("div", { class: "figure", "data-file": file });
    into.append(figure);
    await figures.drawSpec(figure, spec);
  }
  (globalThis as unknown as { identikitFigures?: number }).identikitFigures =
    into.querySelectorAll("svg").length;
}
