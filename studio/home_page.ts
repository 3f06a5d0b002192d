/** The home page: every results folder (numbers and a thumbnail board) and every model. */

/// <reference lib="dom" />

import type { SiteIndex } from "./site_data.ts";
import { count, element, fetchJson, h, imageUrl, markReady, showError } from "./ui.ts";

/** Fills the home page from `data/index.json`. */
export async function startHome(): Promise<void> {
  const sweeps = element<HTMLDivElement>("sweeps");
  let index: SiteIndex;
  try {
    index = await fetchJson<SiteIndex>("data/index.json");
  } catch (error) {
    showError(sweeps, `Cannot list the results: ${(error as Error).message}`);
    return;
  }
  if (index.sweeps.length === 0) {
    sweeps.replaceChildren(
      h(
        "p",
        {},
        "No results yet: run ",
        h("code", {}, "deno task experiment configs/all-digits.json"),
        ".",
      ),
    );
  } else {
    const rows = index.sweeps.map((s) =>
      h(
        "tr",
        {},
        h(
          "td",
          {},
          s.problem
            ? s.name
            : h("a", { href: `sweep.html?name=${encodeURIComponent(s.name)}` }, s.name),
        ),
        h(
          "td",
          { class: "muted" },
          s.problem
            ? `cannot be shown: ${s.problem}`
            : s.description.slice(0, 140) + (s.description.length > 140 ? "…" : ""),
        ),
        h("td", {}, s.model),
        h("td", { class: "num" }, s.problem ? "" : `${count(s.runs)} / ${count(s.cells)}`),
        h("td", { class: "num" }, s.problem ? "" : count(s.converged)),
        h("td", {}, s.date ? s.date.slice(0, 10) : ""),
        h(
          "td",
          {},
          h(
            "div",
            { class: "thumbs" },
            ...s.thumbnails.map((t) => h("img", { src: imageUrl(s.name, t), alt: "" })),
          ),
        ),
      )
    );
    sweeps.replaceChildren(
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...[
              "name",
              "description",
              "model",
              "runs / cells",
              "converged",
              "date",
              "one run per digit",
            ]
              .map((t, i) => h("th", i === 3 || i === 4 ? { class: "num" } : {}, t)),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
    );
  }
  const models = element<HTMLDivElement>("models");
  models.replaceChildren(
    index.models.length === 0
      ? h("p", {}, "No trained models yet: ", h("code", {}, "deno task train --model cnn"), ".")
      : h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", {}, "name"),
            h("th", { class: "num" }, "test accuracy"),
            h("th", {}, "sha256"),
            h("th", {}, ""),
          ),
        ),
        h(
          "tbody",
          {},
          ...index.models.map((m) =>
            h(
              "tr",
              {},
              h("td", {}, m.name),
              h(
                "td",
                { class: "num" },
                m.accuracy === null ? "—" : `${(m.accuracy * 100).toFixed(2)} %`,
              ),
              h("td", {}, h("code", {}, m.sha256 ? `${m.sha256}…` : "—")),
              h(
                "td",
                {},
                m.accuracy === null
                  ? ""
                  : h("a", { href: `live.html?model=${encodeURIComponent(m.name)}` }, "draw live"),
              ),
            )
          ),
        ),
      ),
  );
  markReady();
}
