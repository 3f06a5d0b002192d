/** Tests of the experiment config: defaults, errors by JSON path, the schema file, the hashes. */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { UsageError } from "../common/errors.ts";
import {
  configHash,
  configJsonSchema,
  parseConfig,
  readConfig,
  searchHash,
} from "../experiments/sweep/config.ts";
import { scratch } from "./_helpers.ts";
import { ConfigSchema } from "../experiments/sweep/config.ts";
import { configReference } from "../experiments/sweep/config_reference.ts";
import { STRATEGY_NAMES } from "../experiments/search/strategies/registry.ts";

const CONFIGS = fileURLToPath(new URL("../configs/", import.meta.url));

function configError(data: unknown): string {
  try {
    parseConfig(data, "test.json");
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error("no error");
}

Deno.test("parseConfig() fills defaults and expands a seed count to 1…n", () => {
  assert.deepStrictEqual(parseConfig({ name: "x", seeds: 3 }), {
    name: "x",
    model: "cnn",
    provider: "node-cpu",
    digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    seeds: [1, 2, 3],
    masks: [500],
    target: 0.99,
    maxIterations: 500,
    patience: 100,
    perturbations: [{ density: 0.05, amplitude: 0.5 }],
    base: "blank",
    strategies: [{ name: "greedy" }],
    objectives: ["probability"],
  });
  assert.deepStrictEqual(parseConfig({ name: "x", seeds: [4, 9] }).seeds, [4, 9]);
});

Deno.test("parseConfig() rejects unknown keys, naming them and the allowed ones", () => {
  assert.strictEqual(
    configError({ name: "x", mask: [500] }),
    'Cannot run experiment: test.json is not a valid config:\n  - "(top level)" has unknown key(s) "mask"; allowed keys: $schema, name, description, model, provider, digits, seeds, masks, target, maxIterations, maxEvaluations, patience, perturbation, base, strategy, objective, judges, sha256',
  );
  assert.match(
    configError({ name: "x", perturbation: { density: 0.1, amplitude: 0.2, sigma: 1 } }),
    /"perturbation" has unknown key\(s\) "sigma"; allowed keys: density, amplitude/,
  );
});

Deno.test("parseConfig() reports wrong types and ranges by JSON path, with the bad value", () => {
  const message = configError({
    name: "ok",
    masks: [500, -1],
    target: 1.5,
    digits: [3, 10],
    perturbation: { density: 0, amplitude: "big" },
    maxIterations: 2.5,
  });
  for (
    const line of [
      '"masks[1]" must be ≥ 1, received -1',
      '"target" must be < 1, received 1.5',
      '"digits[1]" must be ≤ 9, received 10',
      '"perturbation.density" must be > 0, received 0',
      '"perturbation.amplitude" must be a number, received "big"',
      '"maxIterations" must be an integer, received 2.5',
    ]
  ) assert.ok(message.includes(`  - ${line}`), `missing: ${line}\nin: ${message}`);
});

Deno.test("parseConfig() takes one regime or a list of them, and explains bad items by path", () => {
  assert.deepStrictEqual(
    parseConfig({
      name: "x",
      perturbation: [{ density: 0.01, amplitude: 0.1 }, { density: 0.05, amplitude: 0.5 }],
    })
      .perturbations,
    [{ density: 0.01, amplitude: 0.1 }, { density: 0.05, amplitude: 0.5 }],
  );
  const message = configError({
    name: "x",
    perturbation: [{ density: 0.01, amplitude: 0.1 }, { density: 3, amplitude: 0.1 }],
  });
  assert.match(message, /"perturbation\[1\]\.density" must be ≤ 1, received 3/);
  assert.match(
    configError({ name: "x", perturbation: 0.5 }),
    /"perturbation" must be an object \{density, amplitude\} or a non-empty list of such objects, received 0.5/,
  );
  assert.match(
    configError({
      name: "x",
      perturbation: [{ density: 0.1, amplitude: 0.1 }, { density: 0.1, amplitude: 0.1 }],
    }),
    /"perturbation" must not repeat a regime/,
  );
});

Deno.test("parseConfig() explains enums, names and seeds", () => {
  assert.match(
    configError({ name: "x", provider: "cuda" }),
    /"provider" must be one of "node-cpu", "node-cuda", "web-wasm", "web-webgpu", received "cuda"/,
  );
  assert.match(
    configError({ name: "../etc" }),
    /"name" must be a folder name: .*, received "..\/etc"/,
  );
  assert.match(configError({ name: "x", seeds: 0 }), /"seeds" must be ≥ 1, received 0/);
  assert.match(
    configError({ name: "x", seeds: "ten" }),
    /"seeds" must be a positive integer count, a non-empty list of distinct integers, or a range \{ "from", "to" \}, received "ten"/,
  );
  assert.match(
    configError({ name: "x", digits: [1, 1] }),
    /"digits" must not repeat a digit, received \[1,1\]/,
  );
  assert.match(configError({}), /"name" must be a string, received nothing/);
  assert.match(configError([1]), /"\(top level\)" must be an object, received \[1\]/);
});

Deno.test("readConfig() reports unreadable JSON and missing files as usage errors", async () => {
  const dir = await scratch("config");
  await Deno.writeTextFile(`${dir}/bad.json`, '{"name": "x",}');
  await assert.rejects(readConfig(`${dir}/bad.json`), {
    name: "UsageError",
    message: new RegExp(`^Cannot run experiment: ${dir}/bad.json is not valid JSON: `),
  });
  await assert.rejects(readConfig(`${dir}/none.json`), {
    name: "UsageError",
    message: `Cannot run experiment: config file ${dir}/none.json does not exist`,
  });
});

Deno.test("the shipped configs are valid: all-digits is the seed's experiment", async () => {
  const all = await readConfig(`${CONFIGS}all-digits.json`);
  assert.deepStrictEqual(
    { digits: all.digits, seeds: all.seeds.length, masks: all.masks, target: all.target },
    { digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seeds: 10, masks: [500], target: 0.99 },
  );
  // Every shipped config parses, whatever it sweeps.
  const files = [...Deno.readDirSync(CONFIGS)].map((e) => e.name)
    .filter((n) => n.endsWith(".json") && n !== "schema.json").sort();
  assert.ok(files.includes("strategies.json") && files.includes("regimes.json"));
  for (const file of files) await readConfig(`${CONFIGS}${file}`);
  const strategies = await readConfig(`${CONFIGS}strategies.json`);
  assert.deepStrictEqual(
    strategies.strategies.map((s) => s.name),
    ["greedy", "square", "nes", "es", "stroke", "sketch"],
  );
});

Deno.test("parseConfig() reports bad strategies and objectives by path", () => {
  assert.strictEqual(
    configError({ name: "x", strategy: { name: "strok" } }),
    'Cannot run experiment: test.json is not a valid config:\n  - "strategy.name" must be one of "greedy", "square", "nes", "es", "stroke", "sketch", "latent", received "strok"',
  );
  assert.match(
    configError({ name: "x", strategy: [{ name: "stroke", bogus: 1 }] }),
    /"strategy\[0\]" has unknown key\(s\) "bogus"; allowed keys: name, candidates, length, width, erase, objective/,
  );
  assert.match(
    configError({ name: "x", strategy: { name: "nes", candidates: 0 } }),
    /"strategy.candidates" must be ≥ 2, received 0/,
  );
  assert.match(
    configError({ name: "x", strategy: { name: "sketch", loops: [8, 3] } }),
    /"strategy.loops" must be \[low, high\] with low ≤ high, received \[8,3\]/,
  );
  assert.match(
    configError({ name: "x", strategy: { name: "sketch", loops: [3, 15] } }),
    /"strategy.loops\[1\]" must be ≤ 14, received 15/,
  );
  assert.match(
    configError({ name: "x", strategy: { name: "sketch", adapt: 1 } }),
    /"strategy.adapt" must be ≤ 0.99, received 1/,
  );
  assert.match(
    configError({ name: "x", strategy: { name: "stroke", width: [2, 1] } }),
    /"strategy.width" must be \[low, high\] with low ≤ high, received \[2,1\]/,
  );
  assert.match(
    configError({ name: "x", objective: "margn" }),
    /"objective" must be one of "probability", "logprob", "margin", received "margn"/,
  );
  assert.match(
    configError({ name: "x", strategy: [{ name: "stroke" }, { name: "stroke", candidates: 8 }] }),
    /"strategy" must not repeat a strategy/,
  );
});

Deno.test("configs/schema.json is the schema generated from the code (run `deno task schema`)", async () => {
  const committed = JSON.parse(await Deno.readTextFile(`${CONFIGS}schema.json`));
  assert.deepStrictEqual(committed, configJsonSchema());
});

Deno.test("docs/config.md is the reference generated from the schema (run `deno task schema`)", async () => {
  const committed = await Deno.readTextFile(new URL("../docs/config.md", import.meta.url));
  const generated = configReference(configJsonSchema());
  assert.strictEqual(committed, generated);
  // Every field of the config, and every strategy, has its row or table, with its meaning.
  const rows = generated.split("\n");
  for (const field of Object.keys(ConfigSchema.shape)) {
    const row = rows.find((l) => l.startsWith(`| \`${field}\` | `));
    assert.ok(row, field);
    assert.match(row.split(" | ").at(-1)!, /^\S.* \|$/, `${field} has a meaning`);
  }
  for (const name of STRATEGY_NAMES) {
    assert.ok(generated.includes(`\n## strategy "${name}"\n`), name);
  }
});

Deno.test("searchHash() ignores the sweep axes and key order but not the search or the model", async () => {
  const a = parseConfig({ name: "a", seeds: 3, masks: [50] });
  const h = await searchHash(a, "m1");
  assert.strictEqual(
    await searchHash({ ...a, seeds: [1, 2, 3, 4], digits: [7], name: "b" }, "m1"),
    h,
  );
  assert.notStrictEqual(await searchHash({ ...a, target: 0.999 }, "m1"), h);
  // Regimes are a sweep axis: adding one keeps the other cells valid.
  assert.strictEqual(
    await searchHash({
      ...a,
      perturbations: [{ density: 0.05, amplitude: 0.4 }, ...a.perturbations],
    }, "m1"),
    h,
  );
  assert.notStrictEqual(await searchHash({ ...a, patience: 7 }, "m1"), h);
  assert.notStrictEqual(await searchHash(a, "m2"), h);
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
  assert.strictEqual(await configHash(reordered), await configHash(a));
});

Deno.test("parseConfig() takes sha256 pins of the sweep's models only, as hex prefixes, outside the search hash", async () => {
  const pinned = parseConfig({
    name: "x",
    objective: ["probability", { name: "probability", models: ["cnn-tutorial"] }],
    sha256: { cnn: "96fd9080", "cnn-tutorial": "abcdef0123" },
  });
  assert.deepStrictEqual(pinned.sha256, { cnn: "96fd9080", "cnn-tutorial": "abcdef0123" });
  const { sha256: _, ...plain } = pinned;
  assert.strictEqual(
    await searchHash(pinned, "f".repeat(64)),
    await searchHash(plain, "f".repeat(64)),
  );
  assert.notStrictEqual(await configHash(pinned), await configHash(plain));
  assert.match(
    configError({ name: "x", sha256: { lenet: "96fd9080" } }),
    /"sha256.lenet": the sweep uses no model "lenet" \(it uses "cnn"\); pin only those/,
  );
  assert.match(
    configError({ name: "x", sha256: { cnn: "96FD" } }),
    /"sha256.cnn" must be 8 to 64 lowercase hex digits: a prefix of the ONNX file's sha256, received "96FD"/,
  );
});

Deno.test("parseConfig() takes seeds as a range, the same config as its list", async () => {
  const range = parseConfig({ name: "x", seeds: { from: 101, to: 130 } });
  assert.deepStrictEqual(range.seeds, Array.from({ length: 30 }, (_, i) => 101 + i));
  const list = parseConfig({ name: "x", seeds: range.seeds });
  assert.strictEqual(await configHash(range), await configHash(list));
  assert.deepStrictEqual(parseConfig({ name: "x", seeds: { from: 7, to: 7 } }).seeds, [7]);
  assert.match(
    configError({ name: "x", seeds: { from: 30, to: 1 } }),
    /"seeds" must have from ≤ to, at most 100,000 seeds apart, received \{"from":30,"to":1\}/,
  );
});
