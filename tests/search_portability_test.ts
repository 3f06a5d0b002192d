/**
 * The search core is portable: bundled for the browser by `deno bundle --platform browser` and
 * run under Node with a plain-JS scorer, it gives exactly the records Deno gives in process.
 */

import assert from "node:assert/strict";
import { createPrng, runSearch, type SearchOptions } from "../experiments/search/mod.ts";
import { fakeScorer } from "./_fake_scorer.ts";

const TMP = new URL("./tmp/portability/", import.meta.url).pathname;

/** The searches compared: each strategy family the studio will run, on a few seeds. */
const CASES: { seed: number; options: SearchOptions }[] = [
  ...[1, 2].map((seed) => ({
    seed,
    options: {
      digit: 7,
      masks: 30,
      target: 0.95,
      maxIterations: 40,
      patience: 15,
      perturbation: { density: 0.05, amplitude: 0.5 },
      base: "blank",
    } satisfies SearchOptions,
  })),
  ...[3, 4].map((seed) => ({
    seed,
    options: {
      digit: 3,
      target: 0.95,
      maxIterations: 30,
      patience: 15,
      base: "noise",
      strategy: { name: "sketch" },
    } satisfies SearchOptions,
  })),
  ...[5, 6].map((seed) => ({
    seed,
    options: {
      digit: 1,
      target: 0.95,
      maxIterations: 30,
      patience: 15,
      base: "blank",
      strategy: { name: "es" },
      objective: "logprob",
    } satisfies SearchOptions,
  })),
];

/**
 * Runs every case on the bundle with tests/_fake_scorer.ts's softmax of seeded templates,
 * written out in plain JS (its templates drawn with the bundle's own PRNG), and prints the
 * results as JSON (images as arrays of levels).
 */
const NODE_SCRIPT = `
import { createPrng, runSearch } from "./search_core.js";
import { readFileSync } from "node:fs";

function fakeScorer(seed = 1, sharpness = 40) {
  const prng = createPrng(seed);
  const templates = Float64Array.from({ length: 10 * 784 }, () => 2 * prng.next() - 1);
  return (images, count) => {
    const out = new Float32Array(count * 10);
    for (let n = 0; n < count; n++) {
      const logits = new Float64Array(10);
      for (let k = 0; k < 10; k++) {
        let s = 0;
        for (let i = 0; i < 784; i++) s += templates[k * 784 + i] * images[n * 784 + i];
        logits[k] = (sharpness * s) / 784;
      }
      const max = Math.max(...logits);
      let z = 0;
      for (let k = 0; k < 10; k++) z += Math.exp(logits[k] - max);
      for (let k = 0; k < 10; k++) out[n * 10 + k] = Math.exp(logits[k] - max) / z;
    }
    return Promise.resolve(out);
  };
}

const cases = JSON.parse(readFileSync(new URL("./cases.json", import.meta.url), "utf8"));
const results = [];
for (const { seed, options } of cases) {
  const result = await runSearch(fakeScorer(), { ...options, prng: createPrng(seed) });
  results.push({ ...result, image: Array.from(result.image) });
}
console.log(JSON.stringify(results));
`;

async function run(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, { args, cwd: TMP }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `${command} ${args.join(" ")} failed:\n${text.decode(stderr)}`);
  return text.decode(stdout);
}

Deno.test("the search core bundled for the browser gives under Node the records Deno gives", async () => {
  await Deno.mkdir(TMP, { recursive: true });
  const entry = new URL("../experiments/search/mod.ts", import.meta.url).pathname;
  await run("deno", [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    "-o",
    `${TMP}search_core.js`,
    entry,
  ]);
  await Deno.writeTextFile(`${TMP}cases.json`, JSON.stringify(CASES));
  await Deno.writeTextFile(`${TMP}run.mjs`, NODE_SCRIPT);
  const fromNode = JSON.parse(await run("node", ["run.mjs"]));

  const inDeno = [];
  for (const { seed, options } of CASES) {
    const result = await runSearch(fakeScorer(), { ...options, prng: createPrng(seed) });
    inDeno.push({ ...result, image: Array.from(result.image) });
  }
  assert.equal(fromNode.length, CASES.length);
  // Searches that go somewhere: a comparison of empty searches would prove nothing.
  assert.ok(inDeno.every((r) => r.iterations > 0 && r.finalConfidence > r.initialConfidence));
  assert.deepStrictEqual(fromNode, inDeno);
});
