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

let kernels: string | undefined;

/**
 * Which of onnxruntime's CPU kernels (MLAS) this machine runs: "x86-64 AVX-512" (avx512f),
 * "x86-64 AVX2" (avx2 and fma), "x86-64 SSE" (neither), "aarch64", on Linux; "unknown"
 * elsewhere or where the CPU's flags cannot be read. Kernels of different instruction sets may
 * round the last bits of a probability differently, so a golden that goes through onnxruntime
 * holds on the kernels it was checked on. Deno reads nothing under /proc without --allow-all,
 * so the flags come from `bash` (which `deno task test` may run).
 */
export function cpuKernels(): string {
  return kernels ??= readCpuKernels();
}

function readCpuKernels(): string {
  if (Deno.build.os !== "linux") return "unknown";
  if (Deno.build.arch === "aarch64") return "aarch64";
  if (Deno.permissions.querySync({ name: "run", command: "bash" }).state !== "granted") {
    return "unknown";
  }
  let line = "";
  try {
    const out = new Deno.Command("bash", {
      args: ["-c", "grep -m1 '^flags' /proc/cpuinfo"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    line = new TextDecoder().decode(out.stdout);
  } catch {
    return "unknown";
  }
  return x86Kernels(line);
}

/** The x86-64 kernels a `flags : …` line of /proc/cpuinfo selects (see {@linkcode cpuKernels}). */
export function x86Kernels(flagsLine: string): string {
  const flags = new Set(flagsLine.replace(/^flags\s*:/, "").trim().split(/\s+/));
  if (!flags.has("sse2")) return "unknown";
  if (flags.has("avx512f")) return "x86-64 AVX-512";
  if (flags.has("avx2") && flags.has("fma")) return "x86-64 AVX2";
  return "x86-64 SSE";
}

/**
 * Test options for a golden that goes through onnxruntime, checked on the kernels `checkedOn`
 * (values of {@linkcode cpuKernels}): its name says so, and on other machines it is ignored,
 * which the test report shows, rather than failed.
 */
export function goldenFor(checkedOn: string[], name: string): { name: string; ignore: boolean } {
  return {
    name: `${name} (golden for ${checkedOn.join(", ")})`,
    ignore: !checkedOn.includes(cpuKernels()),
  };
}
