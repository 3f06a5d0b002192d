/**
 * Do the identikits transfer? For each search setting and judge: the fraction of images the
 * judge calls the target (Wilson interval), overall and per digit; and the distances of the
 * identikits to their nearest training digit beside those of real test digits.
 */

import type { RunRecord } from "../store/records.ts";
import { type Setting, wilsonInterval } from "./statistics.ts";

/** One setting × judge row of the transfer table. */
export interface TransferRow {
  setting: Setting;
  judge: string;
  called: number;
  runs: number;
  interval: [number, number];
  digits: { digit: number; called: number; runs: number }[];
}

/** The transfer table of `records` (those with verdicts), settings and judges in first-seen order. */
export function transferRows(
  records: RunRecord[],
  settingOf: (r: RunRecord) => Setting,
): TransferRow[] {
  const rows = new Map<string, TransferRow>();
  for (const r of records) {
    for (const [judge, verdict] of Object.entries(r.judges ?? {})) {
      const setting = settingOf(r);
      const key = `${setting}\u0000${judge}`;
      let row = rows.get(key);
      if (!row) {
        row = { setting, judge, called: 0, runs: 0, interval: [0, 1], digits: [] };
        rows.set(key, row);
      }
      row.runs++;
      if (verdict.target) row.called++;
      let d = row.digits.find((x) => x.digit === r.digit);
      if (!d) row.digits.push(d = { digit: r.digit, called: 0, runs: 0 });
      d.runs++;
      if (verdict.target) d.called++;
    }
  }
  for (const row of rows.values()) {
    row.interval = wilsonInterval(row.called, row.runs);
    row.digits.sort((a, b) => a.digit - b.digit);
  }
  return [...rows.values()];
}

/** The distances of real test digits to their nearest training digit (from the pixel judges). */
export interface DistanceReference {
  median: number;
  p95: number;
  testDistances: number[];
}

/** Histogram rows for the distance figure: real digits and each setting's identikits. */
export function distanceHistograms(
  reference: DistanceReference,
  records: RunRecord[],
  settingOf: (r: RunRecord) => Setting,
  step = 0.5,
): { source: string; bin: number; fraction: number }[] {
  const bins = (values: number[], source: string) => {
    const counts = new Map<number, number>();
    for (const v of values) {
      const bin = Math.floor(v / step) * step;
      counts.set(bin, (counts.get(bin) ?? 0) + 1);
    }
    return [...counts].sort((a, b) => a[0] - b[0]).map(([bin, n]) => ({
      source,
      bin,
      fraction: n / values.length,
    }));
  };
  const bySetting = new Map<string, number[]>();
  for (const r of records) {
    const d = r.judges?.nearest?.distance ?? r.judges?.plausible?.distance;
    if (d === undefined) continue;
    const key = String(settingOf(r));
    bySetting.set(key, [...(bySetting.get(key) ?? []), d]);
  }
  return [
    ...bins(reference.testDistances, "MNIST test digits"),
    ...[...bySetting].flatMap(([setting, values]) => bins(values, setting)),
  ];
}
