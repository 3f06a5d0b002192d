/** Figures as Vega-Lite specs, rendered to SVG headlessly with Vega (no canvas, no browser). */

import * as vega from "vega";
import * as vl from "vega-lite";
import { quantile } from "../analysis/statistics.ts";
import { type GroupSummary, SEED_SUCCESS, type Setting } from "../analysis/statistics.ts";
import type { MapCell } from "../analysis/regime_map.ts";

export type { Setting };

export type Spec = vl.TopLevelSpec;

/** Renders a Vega-Lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** Digits along x, labels upright. */
const DIGIT_X = {
  field: "digit",
  type: "ordinal",
  title: "digit",
  axis: { labelAngle: 0 },
} as const;

/** Settings side by side within a digit, one colour each, with the full label in the legend. */
function bySetting(values: { setting: Setting }[]) {
  return {
    color: {
      field: "setting",
      type: "ordinal",
      title: legendTitle(values),
      legend: { labelLimit: 400 },
    },
    xOffset: { field: "setting" },
  } as const;
}

/** "masks" while settings are plain mask counts, "setting" once they carry a regime. */
const legendTitle = (values: { setting: Setting }[]): string =>
  values.some((v) => typeof v.setting === "string") ? "setting" : "masks";

/** An interval on a [0, 1] y axis: from each value's `low` to its `high`. */
function intervalY(title: string): {
  y: { field: string; type: "quantitative"; title: string; scale: { domain: number[] } };
  y2: { field: string };
} {
  return {
    y: { field: "low", type: "quantitative", title, scale: { domain: [0, 1] } },
    y2: { field: "high" },
  };
}

/** Runs that stopped keep their last value, so medians over seeds stay defined to the end. */
export function confidenceBands(
  runs: { digit: number; trajectory: number[]; setting?: Setting }[],
): {
  digit: string;
  setting: Setting;
  iteration: number;
  median: number;
  low: number;
  high: number;
}[] {
  const groups = new Map<string, { digit: number; setting: Setting; trajectories: number[][] }>();
  for (const r of runs) {
    const key = `${r.digit}|${r.setting ?? ""}`;
    if (!groups.has(key)) {
      groups.set(key, { digit: r.digit, setting: r.setting ?? "", trajectories: [] });
    }
    groups.get(key)!.trajectories.push(r.trajectory);
  }
  const rows = [];
  const sorted = [...groups.values()].sort((a, b) =>
    a.digit - b.digit || String(a.setting).localeCompare(String(b.setting), "en", { numeric: true })
  );
  for (const { digit, setting, trajectories } of sorted) {
    const length = Math.max(...trajectories.map((t) => t.length));
    for (let i = 0; i < length; i++) {
      const values = trajectories.filter((t) => t.length > 0).map((t) =>
        t[Math.min(i, t.length - 1)]
      );
      rows.push({
        digit: String(digit),
        setting,
        iteration: i + 1,
        median: quantile(values, 0.5),
        low: quantile(values, 0.1),
        high: quantile(values, 0.9),
      });
    }
  }
  return rows;
}

/** curves.svg: best confidence vs iteration per digit, median line and p10–p90 band over seeds. */
export function curvesSpec(
  runs: { digit: number; trajectory: number[]; setting?: Setting }[],
  target: number,
): Spec {
  const bands = confidenceBands(runs).map((b) => ({ ...b, target }));
  // A panel per digit, so that ten bands never stack; several settings: a colour each.
  const several = new Set(bands.map((b) => b.setting)).size > 1;
  const color = several
    ? {
      color: {
        field: "setting",
        type: "nominal",
        title: legendTitle(bands),
        legend: { labelLimit: 0, orient: "bottom", direction: "vertical" },
      },
    } as const
    : {};
  const x = { field: "iteration", type: "quantitative", title: "iteration" } as const;
  return {
    $schema: SCHEMA,
    title:
      "Best confidence vs iteration per digit (median over seeds, band p10–p90; dashed: target)",
    data: { values: bands },
    facet: { field: "digit", type: "ordinal", title: "digit", header: { labelOrient: "top" } },
    columns: 5,
    spec: {
      width: 150,
      height: 110,
      layer: [
        {
          mark: { type: "area", opacity: 0.2, ...(several ? {} : { color: "#4c78a8" }) },
          encoding: { x, ...intervalY("confidence"), ...color, detail: { field: "setting" } },
        },
        {
          mark: { type: "line", strokeWidth: 1.5, ...(several ? {} : { color: "#4c78a8" }) },
          encoding: {
            x,
            y: { field: "median", type: "quantitative" },
            ...color,
            detail: { field: "setting" },
          },
        },
        {
          mark: { type: "rule", strokeDash: [4, 4], color: "black" },
          encoding: { y: { field: "target", type: "quantitative", aggregate: "max" } },
        },
      ],
    },
  };
}

/** success.svg: success rate per digit with its 95 % Wilson interval; the seed's 7 and 9 marked. */
export function successSpec(groups: (GroupSummary & { setting: Setting })[]): Spec {
  const values = groups.map((g) => ({
    digit: String(g.digit),
    setting: g.setting,
    rate: g.successRate,
    low: g.wilsonLow,
    high: g.wilsonHigh,
  }));
  return {
    $schema: SCHEMA,
    title: "Runs reaching the target (95 % Wilson interval); ◆ = the seed's figures",
    width: 480,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: "rule" },
        encoding: {
          x: DIGIT_X,
          ...intervalY("success rate"),
          ...bySetting(values),
        },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          x: { field: "digit", type: "ordinal" },
          y: { field: "rate", type: "quantitative" },
          ...bySetting(values),
        },
      },
      {
        data: { values: SEED_SUCCESS.map((s) => ({ digit: String(s.digit), rate: s.rate })) },
        mark: { type: "point", shape: "diamond", size: 120, color: "black", filled: false },
        encoding: {
          x: { field: "digit", type: "ordinal" },
          y: { field: "rate", type: "quantitative" },
        },
      },
    ],
  };
}

/** evaluations.svg: evaluations to reach the target per digit, one dot per converged run. */
export function evaluationsSpec(
  runs: { digit: number; converged: boolean; evaluations: number; setting: Setting }[],
): Spec {
  const values = runs.filter((r) => r.converged).map((r) => ({
    digit: String(r.digit),
    setting: r.setting,
    evaluations: r.evaluations,
  }));
  return {
    $schema: SCHEMA,
    title: "Evaluations to reach the target (converged runs; tick = median)",
    width: 480,
    height: 260,
    layer: [
      {
        data: { values },
        mark: { type: "point", opacity: 0.6 },
        encoding: {
          x: DIGIT_X,
          y: {
            field: "evaluations",
            type: "quantitative",
            title: "network evaluations",
            scale: { type: "log" },
          },
          ...bySetting(values),
        },
      },
      {
        data: { values },
        mark: { type: "tick", thickness: 2, size: 18 },
        encoding: {
          x: { field: "digit", type: "ordinal" },
          y: { aggregate: "median", field: "evaluations", type: "quantitative" },
          ...bySetting(values),
        },
      },
    ],
  };
}

/** baseline.svg: histograms of the maximum softmax on noise and on real test digits. */
export function baselineSpec(
  histograms: { source: string; bin: number; fraction: number }[],
): Spec {
  return {
    $schema: SCHEMA,
    title: "Maximum softmax: uniform noise vs real MNIST test digits",
    width: 480,
    height: 220,
    data: { values: histograms },
    mark: { type: "bar", opacity: 0.7 },
    encoding: {
      x: {
        field: "bin",
        type: "quantitative",
        bin: { binned: true, step: 0.05 },
        title: "max softmax",
        scale: { domain: [0, 1] },
      },
      x2: { field: "binEnd" },
      y: { field: "fraction", type: "quantitative", title: "fraction of images", stack: null },
      color: { field: "source", type: "nominal", title: null },
    },
    transform: [{ calculate: "datum.bin + 0.05", as: "binEnd" }],
  };
}

/** Distance to the nearest training digit: real test digits vs the identikits of each setting. */
export function distanceSpec(
  histograms: { source: string; bin: number; fraction: number }[],
  p95: number,
  step = 0.5,
): Spec {
  return {
    $schema: SCHEMA,
    title: "Distance to the nearest MNIST training digit (dashed: real digits' 95th percentile)",
    width: 520,
    height: 240,
    layer: [
      {
        data: { values: histograms },
        mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
        encoding: {
          x: { field: "bin", type: "quantitative", title: "Euclidean distance (pixels in [0, 1])" },
          y: { field: "fraction", type: "quantitative", title: "fraction of images" },
          // Legend labels name whole settings: the default limit (160 px) cut them off.
          color: {
            field: "source",
            type: "nominal",
            title: null,
            legend: { labelLimit: 0, orient: "bottom", direction: "vertical" },
          },
        },
      },
      {
        data: { values: [{ p95 }] },
        mark: { type: "rule", strokeDash: [4, 4] },
        encoding: { x: { field: "p95", type: "quantitative" } },
      },
    ],
    description: `bins of ${step}`,
  };
}

/**
 * regimes.svg: success rate per digit (columns) per regime (rows), a panel per model (named with
 * its sha256 prefix where known); `source` names the config in the title.
 */
export function regimeMapSpec(cells: MapCell[], source?: string): Spec {
  const seed = [...new Set(cells.map((c) => c.model))].flatMap((model) =>
    SEED_SUCCESS.map((s) => ({
      model,
      regime: "the seed (reported)",
      digit: s.digit,
      rate: s.rate,
      label: `${Math.round(s.rate * 100)}`,
    }))
  );
  const values = [
    ...cells.map((c) => ({
      ...c,
      label: `${Math.round(c.rate * 100)}${
        c.stuckRate > 0 ? `/${Math.round(c.stuckRate * 100)}s` : ""
      }`,
    })),
    ...seed,
  ];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Success % per digit per regime (n/ms: n % stuck); bottom row: the seed's 7 and 9",
      ...(source ? { subtitle: source } : {}),
    },
    // Row labels name the masks last: the default limit (180 px) would cut them off (0: none).
    config: { axis: { labelLimit: 0 } },
    data: { values },
    facet: { column: { field: "model", type: "nominal", title: null } },
    spec: {
      width: 300,
      height: { step: 18 },
      layer: [
        {
          mark: { type: "rect" },
          encoding: {
            x: { field: "digit", type: "ordinal", title: "digit" },
            y: { field: "regime", type: "nominal", title: null, sort: null },
            color: {
              field: "rate",
              type: "quantitative",
              title: "success",
              scale: { domain: [0, 1], scheme: "redyellowgreen" },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 8 },
          encoding: {
            x: { field: "digit", type: "ordinal" },
            y: { field: "regime", type: "nominal", sort: null },
            text: { field: "label" },
          },
        },
      ],
    },
  };
}

/** One tile of a board: a run's final image (a PNG data URL) at its digit row and seed column. */
export interface BoardTile {
  setting: string;
  digit: number;
  seed: number;
  url: string;
  /** Whether the run reached the target (failed tiles are outlined). */
  converged: boolean;
}

/**
 * boards.svg: the final images as boards with their labels, a row per digit and a column per
 * seed, one board per setting (grid.png has the same pixels, without labels, in one image).
 */
export function boardsSpec(tiles: BoardTile[], target: number): Spec {
  const settings = [...new Set(tiles.map((t) => t.setting))];
  const seeds = new Set(tiles.map((t) => t.seed)).size;
  const cell = 32;
  const encoding = {
    x: {
      field: "seed",
      type: "ordinal",
      title: "seed",
      axis: { labelAngle: 0, ticks: false, domain: false },
    },
    y: { field: "digit", type: "ordinal", title: "digit", axis: { ticks: false, domain: false } },
  } as const;
  const board = {
    width: { step: cell },
    height: { step: cell },
    layer: [
      {
        mark: { type: "image", width: cell - 2, height: cell - 2, aspect: false },
        encoding: { ...encoding, url: { field: "url", type: "nominal" } },
      },
      {
        transform: [{ filter: "!datum.converged" }],
        mark: {
          type: "square",
          size: (cell - 2) ** 2,
          filled: false,
          color: "#e45756",
          strokeWidth: 1.5,
        },
        encoding,
      },
    ],
  } as const;
  return {
    $schema: SCHEMA,
    title: {
      text: `Final images: a row per digit, a column per seed${
        tiles.some((t) => !t.converged) ? ` (outlined: did not reach ${target})` : ""
      }`,
    },
    data: { values: tiles },
    config: { view: { stroke: null }, header: { labelLimit: 0 } },
    ...(settings.length > 1
      ? {
        facet: { field: "setting", type: "nominal", title: null, sort: settings },
        columns: seeds > 12 ? 1 : 2,
        spec: board,
      }
      : board),
  } as unknown as Spec;
}
