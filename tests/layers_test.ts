/**
 * The guard of the layout: every import of common/, experiments/, train/, infer/ and cli/ is
 * read, and the layers' rules are checked (imports run one way, no circles, a pure search core,
 * one module on onnxruntime, config parsing without it).
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const FOLDERS = ["common", "experiments", "train", "infer", "cli", "studio"];

/** The rooms of experiments/, lowest first: each may import only its own and lower ones. */
const EXPERIMENT_LAYERS = [
  "search",
  "sweep",
  "store",
  "scheduler",
  "analysis",
  "judge",
  "report",
];

/** The common/ modules the search core may use: pure code, no I/O, no runtime API. */
const PURE_COMMON = [
  "common/canonical_json.ts",
  "common/errors.ts",
  "common/model_names.ts",
  "common/prng.ts",
  "common/probabilities.ts",
];

/** Packages the search core may import (zod bundles for the browser). */
const CORE_PACKAGES = ["zod"];

interface Module {
  path: string;
  /** The code without comments (JSDoc examples import too, but are not imports). */
  code: string;
  /** Repository paths of the local modules it imports (static, dynamic, worker URLs). */
  local: string[];
  /** Bare specifiers: npm packages, node: modules. */
  packages: string[];
  /** Local modules imported for their types only (erased: never bundled, never run). */
  typeOnly: string[];
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

const SPECIFIER = new RegExp(
  [
    String.raw`(?:^|[;\s])(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']`,
    String.raw`(?:^|[;\s])import\s*["']([^"']+)["']`,
    String.raw`import\(\s*["']([^"']+)["']\s*\)`,
    String.raw`new URL\(\s*["'](\.[^"']+\.ts)["']\s*,\s*import\.meta\.url`,
  ].join("|"),
  "g",
);

const TYPE_ONLY = /(?:^|[;\s])import\s+type\s[^;]*?\sfrom\s*["'](\.[^"']+)["']/g;

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

function readModule(path: string): Module {
  const code = stripComments(Deno.readTextFileSync(ROOT + path));
  const local: string[] = [], packages: string[] = [];
  for (const match of code.matchAll(SPECIFIER)) {
    const specifier = match.slice(1).find((s) => s !== undefined)!;
    if (specifier.startsWith(".")) {
      local.push(normalize(path.split("/").slice(0, -1).join("/") + "/" + specifier));
    } else packages.push(specifier);
  }
  const typeOnly = [...code.matchAll(TYPE_ONLY)].map((match) =>
    normalize(path.split("/").slice(0, -1).join("/") + "/" + match[1])
  );
  return { path, code, local, packages, typeOnly };
}

function listModules(): Map<string, Module> {
  const modules = new Map<string, Module>();
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(ROOT + dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) modules.set(path, readModule(path));
    }
  };
  for (const folder of FOLDERS) walk(folder);
  return modules;
}

const MODULES = listModules();

/** The room of a module: "experiments/<layer>", or its top folder. */
function roomOf(path: string): string {
  const [top, second] = path.split("/");
  return top === "experiments" ? `experiments/${second}` : top;
}

/** Why `from` may not import `to`, or null when it may. */
function ruleBroken(from: string, to: string): string | null {
  const a = roomOf(from), b = roomOf(to);
  if (!FOLDERS.some((f) => to.startsWith(f + "/"))) return `imports ${to}, outside the library`;
  if (a === "cli" || a === b || b === "common") return null;
  // The studio's pages run the search core and a cell's seed as the CLI does (never a second
  // search); its server reads results through the store and the analyses' numbers. Nothing in
  // it runs sweeps, judges, writes reports or opens the CLI's sessions.
  if (a === "studio") {
    return ["experiments/search", "experiments/sweep", "experiments/store", "experiments/analysis"]
        .includes(b)
      ? null
      : `studio/ imports only itself, common/ and experiments/ search, sweep, store and analysis`;
  }
  if (a === "common") return "common/ imports only common/";
  if (a === "train" || a === "infer") {
    return `${a}/ imports only itself and common/ (cli/ crosses between train/, infer/ and experiments/)`;
  }
  // experiments/: downward only, and only judge/ opens sessions through infer/.
  if (a === "experiments/judge" && b === "infer") return null;
  if (!b.startsWith("experiments/")) {
    return `experiments/ imports ${b}/ (only cli/ crosses; judge/ may use infer/)`;
  }
  const la = EXPERIMENT_LAYERS.indexOf(a.slice(12)), lb = EXPERIMENT_LAYERS.indexOf(b.slice(12));
  if (la < 0) return `${a} is no layer of experiments/ (${EXPERIMENT_LAYERS.join(", ")})`;
  if (lb < 0) return `${b} is no layer of experiments/ (${EXPERIMENT_LAYERS.join(", ")})`;
  return lb > la ? `${a} imports the higher layer ${b}` : null;
}

/** Every module reachable from `path` (itself included); `run`: through imports of values only. */
function closure(path: string, { run = false } = {}): Set<string> {
  const seen = new Set<string>();
  const stack = [path];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const m = MODULES.get(next);
    stack.push(...(m?.local ?? []).filter((to) => !run || !m!.typeOnly.includes(to)));
  }
  return seen;
}

Deno.test("the import parser reads every kind of import it guards", () => {
  const sample = readModule("experiments/scheduler/runner.ts");
  assert.ok(sample.local.includes("experiments/search/search.ts"), sample.local.join(", "));
  assert.ok(MODULES.get("train/parallel.ts")!.local.includes("train/parallel_worker.ts"));
  assert.ok(MODULES.get("infer/providers.ts")!.packages.includes("onnxruntime-node"));
  assert.ok(MODULES.size > 80, `only ${MODULES.size} modules found`);
});

Deno.test("every import runs downward: common ← search ← sweep ← store ← scheduler ← analysis ← judge ← report ← cli", () => {
  const broken: string[] = [];
  for (const m of MODULES.values()) {
    for (const to of m.local) {
      if (!MODULES.has(to) && !to.startsWith("node_modules/")) {
        broken.push(`${m.path} → ${to}: no such module`);
        continue;
      }
      const why = ruleBroken(m.path, to);
      if (why) broken.push(`${m.path} → ${to}: ${why}`);
    }
  }
  assert.deepStrictEqual(broken, []);
});

Deno.test("no module imports itself through others (no circles)", () => {
  const state = new Map<string, "open" | "done">();
  const circles: string[] = [];
  const visit = (path: string, trail: string[]) => {
    if (state.get(path) === "done") return;
    if (state.get(path) === "open") {
      circles.push([...trail.slice(trail.indexOf(path)), path].join(" → "));
      return;
    }
    state.set(path, "open");
    for (const to of MODULES.get(path)?.local ?? []) visit(to, [...trail, path]);
    state.set(path, "done");
  };
  for (const path of [...MODULES.keys()].sort()) visit(path, []);
  assert.deepStrictEqual(circles, []);
});

Deno.test("the search core is pure: no Deno, no node:, no onnxruntime, no tfjs", () => {
  const core = [...MODULES.keys()].filter((p) => p.startsWith("experiments/search/"));
  assert.ok(core.includes("experiments/search/mod.ts"));
  const problems: string[] = [];
  for (const path of new Set(core.flatMap((p) => [...closure(p)]))) {
    const m = MODULES.get(path)!;
    if (!path.startsWith("experiments/search/") && !PURE_COMMON.includes(path)) {
      problems.push(`${path} is reached from the core but is not a pure common/ module`);
    }
    if (/\bDeno\./.test(m.code)) problems.push(`${path} uses Deno.`);
    for (const p of m.packages) {
      if (!CORE_PACKAGES.includes(p)) problems.push(`${path} imports ${p}`);
    }
  }
  assert.deepStrictEqual(problems, []);
});

Deno.test("one module opens onnxruntime sessions, and parsing a config does not load it", () => {
  const onOrt = [...MODULES.values()]
    .filter((m) =>
      m.packages.some((p) => p.startsWith("onnxruntime")) || /InferenceSession/.test(m.code)
    )
    .map((m) => m.path);
  // The CLI's (infer/providers.ts) and the browser page's (studio/web_scorer.ts, bundled).
  assert.deepStrictEqual(onOrt, ["infer/providers.ts", "studio/web_scorer.ts"]);
  const config = [...closure("experiments/sweep/config.ts")];
  assert.deepStrictEqual(
    config.filter((p) => p.startsWith("infer/") || p.startsWith("train/")),
    [],
  );
  assert.deepStrictEqual(
    config.flatMap((p) => MODULES.get(p)!.packages).filter((p) => /onnxruntime|tfjs/.test(p)),
    [],
  );
});

Deno.test("the zoo's catalogue and the tensor names each live in one module that both sides read", () => {
  const importers = (module: string) =>
    [...MODULES.values()].filter((m) => m.local.includes(module)).map((m) => roomOf(m.path));
  const catalogue = importers("common/model_names.ts");
  assert.ok(
    catalogue.includes("train") && catalogue.includes("experiments/sweep"),
    catalogue.join(),
  );
  const io = importers("common/model_io.ts");
  assert.ok(io.includes("train") && io.includes("infer"), io.join());
  const defines = (name: string) =>
    [...MODULES.values()].filter((m) => new RegExp(`export const ${name}\\b`).test(m.code))
      .map((m) => m.path);
  assert.deepStrictEqual(defines("MODEL_NAMES"), ["common/model_names.ts"]);
  for (const name of ["INPUT_NAME", "OUTPUT_NAME", "LATENT_NAME", "PIXELS_NAME"]) {
    assert.deepStrictEqual(defines(name), ["common/model_io.ts"], name);
  }
});

/** The modules outside the search core that the pages may bundle: pure code, no I/O. */
const PAGE_PURE = [
  "common/model_io.ts",
  "common/base64.ts",
  "common/model_outputs.ts",
  "experiments/sweep/axes.ts",
  "experiments/sweep/cell_search.ts",
  "experiments/sweep/objective_schema.ts",
  "experiments/sweep/search_models.ts",
];

Deno.test("the studio's pages bundle pure code: the search core, cell seeds, model io, no Deno", () => {
  const problems: string[] = [];
  // What the bundle holds: type-only imports (cell_search.ts names ResolvedConfig, the pages
  // name site_data.ts's shapes) are erased.
  const page = new Set([
    ...closure("studio/app.ts", { run: true }),
    ...closure("studio/figures.ts", { run: true }),
  ]);
  assert.ok(page.has("experiments/search/search.ts") && page.has("experiments/sweep/axes.ts"));
  assert.ok(page.has("studio/live.ts") && page.has("studio/sweep_page.ts"));
  for (const path of page) {
    const m = MODULES.get(path)!;
    const pure = PURE_COMMON.includes(path) || PAGE_PURE.includes(path) ||
      path.startsWith("experiments/search/") ||
      (path.startsWith("studio/") &&
        !["studio/site_data.ts", "studio/server.ts", "studio/export.ts"].includes(path));
    if (!pure) problems.push(`${path} is bundled into the page but is not pure`);
    if (/\bDeno\./.test(m.code)) problems.push(`${path} uses Deno.`);
    for (const p of m.packages) {
      if (![...CORE_PACKAGES, "onnx-proto", "onnxruntime-web", "vega-embed"].includes(p)) {
        problems.push(`${path} imports ${p}`);
      }
    }
  }
  assert.deepStrictEqual(problems, []);
});
