/** Shared test helpers: assertions with tolerances, a scratch folder, tiny trained models. */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import type { RunRecord } from "../experiments/store/records.ts";
import { maxAbsDiff } from "../common/probabilities.ts";

export { maxAbsDiff };

/** The scratch folder tests may write to (git-ignored, allowed by `deno task test`). */
export const TMP = fileURLToPath(new URL("./tmp/", import.meta.url)).replace(/\/$/, "");

/** A fresh, empty scratch folder `tests/tmp/<name>`. */
export async function scratch(name: string): Promise<string> {
  const dir = `${TMP}/${name}`;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** Asserts max|a − b| ≤ tol × max(1, max|b|) and returns the relative difference. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): number {
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const diff = maxAbsDiff(actual, expected) / scale;
  assert.ok(diff <= tol, `${what}: max relative diff ${diff.toExponential(2)} > ${tol}`);
  return diff;
}

/** Records without timings, sorted by cell: what "identical (timings aside)" compares. */
export function comparable(records: RunRecord[]): Omit<RunRecord, "wallMs" | "shareMs">[] {
  return records.map(({ wallMs: _w, shareMs: _s, ...rest }) => rest).sort((a, b) =>
    a.cell.localeCompare(b.cell)
  );
}
