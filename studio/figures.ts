/**
 * The sweep page's interactive figures (a bundle of its own, loaded when the page shows them):
 * the report's own Vega-Lite specs (figures.json) drawn by vega-embed with tooltips, and a map
 * of success per digit and setting under an iteration budget that a slider sets.
 */

/// <reference lib="dom" />

import embed from "vega-embed";

/** A record's fields the budget map reads. */
export interface BudgetRun {
  digit: number;
  setting: string;
  iterations: number;
  converged: boolean;
}

/** Draws a Vega-Lite spec into `into`, every mark with a tooltip of its fields. */
export async function drawSpec(into: HTMLElement, spec: Record<string, unknown>): Promise<void> {
  const config = (spec.config ?? {}) as Record<string, unknown>;
  const withTooltips = {
    ...spec,
    config: { ...config, mark: { ...(config.mark as object ?? {}), tooltip: true } },
  };
  await embed(into, withTooltips as never, { actions: false, renderer: "svg" });
}

/**
 * Success per digit (columns) and setting (rows) counting only runs that reached the target
 * within the slider's budget of steps; the regime map's question, at every budget. Settings
 * are in the config's order.
 */
export function budgetSpec(
  runs: BudgetRun[],
  target: number,
  settings: string[],
): Record<string, unknown> {
  const most = Math.max(1, ...runs.map((r) => r.iterations));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Reached ${target} within the budget (steps), per digit and setting`,
    config: { axis: { labelLimit: 0 } },
    data: { values: runs },
    params: [{
      name: "budget",
      value: most,
      bind: { input: "range", min: 1, max: most, step: 1, name: "budget (steps) " },
    }],
    transform: [
      { calculate: "datum.converged && datum.iterations <= budget ? 1 : 0", as: "ok" },
      {
        aggregate: [{ op: "mean", field: "ok", as: "success" }, { op: "count", as: "runs" }],
        groupby: ["digit", "setting"],
      },
    ],
    width: { step: 34 },
    height: { step: 22 },
    layer: [
      {
        mark: { type: "rect", tooltip: true },
        encoding: {
          x: { field: "digit", type: "ordinal", axis: { labelAngle: 0 } },
          y: { field: "setting", type: "nominal", title: null, sort: settings },
          color: {
            field: "success",
            type: "quantitative",
            scale: { domain: [0, 1], scheme: "blues" },
            legend: { format: ".0%" },
          },
          tooltip: [
            { field: "setting", type: "nominal" },
            { field: "digit", type: "ordinal" },
            { field: "success", type: "quantitative", format: ".0%" },
            { field: "runs", type: "quantitative" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          x: { field: "digit", type: "ordinal" },
          y: { field: "setting", type: "nominal", sort: settings },
          text: { field: "success", type: "quantitative", format: ".0%" },
          color: { condition: { test: "datum.success > 0.6", value: "white" }, value: "#222" },
        },
      },
    ],
  };
}
