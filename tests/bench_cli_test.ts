/** The benchmark commands refuse bad flags before measuring anything, as real subprocesses. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { TMP } from "./_helpers.ts";
import { runCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  ...opts,
  name: "bench refuses an --out it may not write with exit 2 before measuring, and writes nothing",
  fn: async () => {
    // A model that exists, so that nothing but --out stands in the way of the benchmark.
    await tinyModel("softmax");
    const out = `${TMP}/../tmp-bench-refused`; // outside tests/tmp, the only folder tests may write
    const { code, stderr } = await runCli("cli/bench.ts", [
      "--model",
      "softmax",
      "--models-dir",
      TEST_MODELS_DIR,
      "--providers",
      "node-cpu",
      "--batches",
      "1",
      "--rounds",
      "1",
      "--no-tfjs",
      "--out",
      out,
    ]);
    assert.strictEqual(code, 2, stderr);
    assert.match(stderr, /--out .*tmp-bench-refused: this task may not write there/);
    assert.doesNotMatch(stderr, /Benchmarking|candidates\/s/, "it measured before refusing");
    assert.strictEqual(await exists(out), false);
  },
});
