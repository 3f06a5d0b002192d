/** A run's progress (cells done, queries per second, time left) and its segment for the rates. */

import type { SearchStepper } from "../search/search.ts";
import type { Cell } from "../sweep/axes.ts";
import type { RunRecord } from "../store/records.ts";
import type { Segment } from "../store/records_io.ts";

/** What happened, for progress displays. */
export interface RunProgress {
  cellsDone: number;
  cellsTotal: number;
  /** Best confidence of the most advanced running cell. */
  currentCell?: string;
  currentBest?: number;
  /** Network queries per second (the unit of {@linkcode Segment}'s `queries`). */
  queriesPerSecond: number;
  etaSeconds: number;
  lastRecord?: RunRecord;
}

/** A cell running now, as progress sees it. */
export interface Active {
  cell: Cell;
  search: SearchStepper;
}

/** Progress and the segment of this run: cells finished, network queries and calls, time. */
export interface Meter {
  finished: number;
  readonly skipped: number;
  queries: number;
  calls: number;
  report(active: readonly Active[], extra?: Partial<RunProgress>): void;
  segment(parallel: number | "auto"): Segment;
}

export function createMeter(
  total: number,
  skipped: number,
  onProgress?: (progress: RunProgress) => void,
): Meter {
  const start = performance.now();
  const startedAt = new Date().toISOString();
  const meter: Meter = {
    finished: skipped,
    skipped,
    queries: 0,
    calls: 0,
    report(active, extra = {}) {
      const seconds = (performance.now() - start) / 1000;
      const ran = meter.finished - skipped;
      const leader = active.reduce<Active | undefined>(
        (a, b) => (a === undefined || b.search.best > a.search.best ? b : a),
        undefined,
      );
      onProgress?.({
        cellsDone: meter.finished,
        cellsTotal: total,
        ...(leader ? { currentCell: leader.cell.id, currentBest: leader.search.best } : {}),
        queriesPerSecond: seconds > 0 ? meter.queries / seconds : 0,
        etaSeconds: ran > 0 ? (seconds / ran) * (total - meter.finished) : NaN,
        ...extra,
      });
    },
    segment: (parallel) => ({
      startedAt,
      elapsedMs: Math.round(performance.now() - start),
      queries: meter.queries,
      calls: meter.calls,
      cells: meter.finished - skipped,
      parallel,
    }),
  };
  return meter;
}
