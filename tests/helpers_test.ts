/** Tests of the test helpers that decide which goldens run: the CPU's kernels and the label. */

import assert from "node:assert/strict";
import { cpuKernels, goldenFor, x86Kernels } from "./_helpers.ts";

Deno.test("x86Kernels() reads onnxruntime's kernel family off /proc/cpuinfo's flags", () => {
  // Abridged flags lines of a Zen 4, a Haswell, a Nehalem, and of qemu's plain qemu64 model.
  const zen4 = "flags\t\t: fpu sse sse2 ssse3 fma sse4_1 avx avx2 avx512f avx512dq avx512bw";
  const haswell = "flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2";
  const nehalem = "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 popcnt";
  const qemu64 = "flags\t\t: fpu sse sse2 pni";
  assert.deepStrictEqual([zen4, haswell, nehalem, qemu64].map(x86Kernels), [
    "x86-64 AVX-512",
    "x86-64 AVX2",
    "x86-64 SSE",
    "x86-64 SSE",
  ]);
  // AVX2 without FMA selects no AVX2 kernel; "avx512" in another flag's name is not avx512f.
  assert.strictEqual(x86Kernels("flags : sse2 avx avx2"), "x86-64 SSE");
  assert.strictEqual(x86Kernels("flags : sse2 avx2 fma avx512_vnni"), "x86-64 AVX2");
  assert.strictEqual(x86Kernels(""), "unknown");
});

Deno.test("goldenFor() labels a golden with the kernels it was checked on and skips it elsewhere", () => {
  const here = cpuKernels();
  assert.deepStrictEqual(goldenFor([here], "a golden"), {
    name: `a golden (golden for ${here})`,
    ignore: false,
  });
  assert.strictEqual(goldenFor(["riscv64 V"], "a golden").ignore, true);
});
