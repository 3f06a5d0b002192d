/**
 * The studio: its server (URL on stdout, 127.0.0.1, read-only, every refusal), the live page's
 * cell (the CLI's cell), and, in Debian's headless Chromium, the live page itself: no console
 * error, and a live search whose result equals the CLI's record of the same cell.
 */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { UsageError } from "../common/errors.ts";
import { createScorer } from "../infer/providers.ts";
import { cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { cellSearch } from "../experiments/sweep/cell_search.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { LIVE_DEFAULTS, liveQuery, liveRun } from "../studio/live_cell.ts";
import { createPrng, createSearch, runSearch } from "../experiments/search/mod.ts";
import { indexImages } from "../experiments/analysis/nearest.ts";
import { cellKey } from "../experiments/sweep/axes.ts";
import { divergence, pixelsChanged, replayPlan } from "../studio/replay.ts";
import { createDecoder } from "../infer/decoder.ts";
import { readConfigRecords } from "../experiments/store/config_records.ts";
import { writeReport } from "../experiments/report/write_report.ts";
import { sweepData } from "../studio/site_data.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { externalModel } from "./_external_models.ts";
import { BUNDLE_COMMAND, pathSegments, readBundles } from "../studio/server.ts";
import { CHROMIUM } from "./_browser.ts";
import type { PagesPlan, PagesReport } from "./_browser_pages.ts";
import { taskFlags } from "./_task.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";
import { scratch, TMP } from "./_helpers.ts";

/** Why there is no browser to test in, or null when Debian's chromium is installed. */
async function browserUnavailable(): Promise<string | null> {
  try {
    await Deno.stat(CHROMIUM);
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return `${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`;
    }
    if (error instanceof Deno.errors.NotCapable) {
      return `no permission to read ${CHROMIUM} (use deno.json's test task)`;
    }
    throw error;
  }
}

const NO_BROWSER = await browserUnavailable();
const skipped = NO_BROWSER ? ` (skipped: ${NO_BROWSER})` : "";

let bundled: Promise<void> | null = null;

/** Bundles the pages' scripts into studio/dist/, as `deno task studio` does first (once). */
function bundlePages(): Promise<void> {
  bundled ??= (async () => {
    const out = await new Deno.Command("deno", {
      args: [...BUNDLE_COMMAND],
      cwd: PROJECT_ROOT,
      stdin: "null",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  })();
  return bundled;
}

/** A studio started as `deno task studio` would (the task's own permissions), and its URL. */
async function startStudio(
  args: string[],
): Promise<{ url: string; child: Deno.ChildProcess; stop(): Promise<void> }> {
  await bundlePages();
  const child = new Deno.Command("deno", {
    // The task listens on 127.0.0.1:8000 only; a test takes any free port of 127.0.0.1.
    args: [
      "run",
      ...(await taskFlags("studio")).map((f) =>
        f === "--allow-net=127.0.0.1:8000" ? "--allow-net=127.0.0.1" : f
      ),
      "cli/studio.ts",
      "--port",
      "0",
      ...args,
    ],
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      const err = await new Response(child.stderr).text();
      throw new Error(`The studio ended before printing its URL: ${err}`);
    }
    text += value;
  }
  return {
    url: text,
    child,
    async stop() {
      child.kill("SIGTERM");
      reader.cancel();
      await child.stderr.cancel();
      await child.status;
    },
  };
}

/** `deno run <the studio task's flags> cli/studio.ts args` to its end. */
async function studioCli(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  await bundlePages();
  const out = await new Deno.Command("deno", {
    args: ["run", "--no-prompt", ...await taskFlags("studio"), "cli/studio.ts", ...args],
    cwd: PROJECT_ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Sends one raw HTTP/1.1 request (the path exactly as given, never normalised). */
async function rawGet(
  url: string,
  path: string,
  method = "GET",
  host = new URL(url).host,
): Promise<number> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    await conn.write(
      new TextEncoder().encode(
        `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const text = await new Response(conn.readable).text();
    return Number(text.split(" ")[1]);
  } catch (error) {
    conn.close();
    throw error;
  }
}

/** `ln -s` (Deno.symlink needs unscoped read and write permissions, which the suite lacks). */
async function symlink(target: string, link: string): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: ["-c", 'ln -s "$1" "$2"', "ln", target, link],
    stdin: "null",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
}

Deno.test("pathSegments() refuses every way out of a folder", () => {
  assert.deepEqual(pathSegments("http://h/models/cnn.onnx"), ["models", "cnn.onnx"]);
  assert.deepEqual(pathSegments("http://h/"), []);
  assert.deepEqual(pathSegments("http://h/results/a%20b/x.png?v=1"), ["results", "a b", "x.png"]);
  for (
    const path of [
      "/models/../deno.json",
      "/models/%2e%2e/deno.json",
      "/models/%2E%2E/deno.json",
      "/models/..%2fdeno.json",
      "/models/..%5cdeno.json",
      "/models//etc/passwd",
      "/models/%2fetc%2fpasswd",
      "/models/./cnn.onnx",
      "/models/C:%5cwindows",
      "/models/a%00b",
      "/models/%zz",
    ]
  ) assert.equal(pathSegments(`http://h${path}`), null, path);
});

Deno.test("the live page's cell is the CLI's cell of a one-cell config", () => {
  const schema = parseConfig({ name: "x" });
  assert.deepEqual(
    LIVE_DEFAULTS,
    {
      target: schema.target,
      maxIterations: schema.maxIterations,
      patience: schema.patience,
      base: schema.base,
    },
  );
  for (
    const [query, config] of [
      ["digit=3&strategy=sketch&seed=1", { strategy: { name: "sketch" }, digits: [3], seeds: [1] }],
      [
        "digit=0&strategy=sketch&seed=9&target=0.9&objective=margin&candidates=4&width=1,2",
        {
          strategy: { name: "sketch", candidates: 4, width: [1, 2] },
          objective: "margin",
          target: 0.9,
          digits: [0],
          seeds: [9],
        },
      ],
      ["digit=7&strategy=greedy&seed=2", { digits: [7], seeds: [2] }],
    ] as const
  ) {
    const resolved = parseConfig({ name: "x", ...config });
    const [cell] = expandCells(resolved);
    const run = liveRun(new URLSearchParams(query));
    assert.deepEqual(run.cell, cell, query);
    assert.deepEqual(run.search, cellSearch(resolved, cell), query);
    assert.equal(run.prngSeed, cellSeed(cell), query);
  }
  assert.throws(() => liveRun(new URLSearchParams("digit=12")), /digit must be an integer/);
  assert.throws(() => liveRun(new URLSearchParams("strategy=nope")), /valid strategies: greedy/);
  assert.throws(
    () => liveRun(new URLSearchParams("strategy=sketch&candidates=0")),
    /Invalid sketch parameters: candidates/,
  );
});

Deno.test("deno task studio prints its URL, binds 127.0.0.1 and serves read-only with COOP/COEP", async () => {
  const studio = await startStudio(["--models-dir", "tests/tmp/models"]);
  try {
    assert.match(studio.url, /^http:\/\/127\.0\.0\.1:\d+\/\n$/);
    const url = studio.url.trim();
    const live = await fetch(`${url}live`);
    assert.equal(live.status, 200);
    assert.equal(live.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(live.headers.get("cross-origin-embedder-policy"), "require-corp");
    assert.match(await live.text(), /<script type="module" src="assets\/app.js">/);
    for (
      const [path, type] of [
        ["assets/app.js", "text/javascript"],
        ["ort/ort.wasm.min.mjs", "text/javascript"],
        ["ort/ort-wasm-simd-threaded.mjs", "text/javascript"],
        ["ort/ort-wasm-simd-threaded.wasm", "application/wasm"],
        ["models/cnn.onnx", "application/octet-stream"],
      ]
    ) {
      const response = await fetch(`${url}${path}`);
      await response.body?.cancel();
      assert.equal(response.status, 200, path);
      assert.equal(response.headers.get("content-type")?.split(";")[0], type, path);
    }
  } finally {
    await studio.stop();
  }
});

Deno.test("deno task studio lists its flags, and refuses a bad port or an address it may not bind (exit 2)", async () => {
  // The server runs nothing (the task bundles the pages first) and writes only site/.
  const flags = await taskFlags("studio");
  assert.deepEqual(flags.filter((f) => /^--allow-(run|write|env|ffi|sys|all)/.test(f)), [
    "--allow-write=site",
  ]);
  assert.ok(flags.includes("--allow-net=127.0.0.1:8000"), flags.join(" "));
  const help = await studioCli(["--help"]);
  assert.equal(help.code, 0);
  for (
    const flag of ["--port", "--host", "--models-dir", "--results-dir", "--export", "-h, --help"]
  ) {
    assert.match(help.stdout, new RegExp(`^  ${flag} `, "m"), flag);
  }
  const port = await studioCli(["--port", "abc"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be an integer from 0 to 65535, received "abc"/);
  const host = await studioCli(["--host", "0.0.0.0", "--port", "0"]);
  assert.equal(host.code, 2);
  assert.match(host.stderr, /Cannot listen on 0\.0\.0\.0:0: no permission/);
  assert.match(host.stderr, /--allow-net=0\.0\.0\.0 cli\/studio\.ts --host 0\.0\.0\.0/);
  // The task may listen on its own port alone.
  const other = await studioCli(["--port", "8001"]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /Cannot listen on 127\.0\.0\.1:8001: no permission/);
  assert.match(
    other.stderr,
    /--allow-net=127\.0\.0\.1:8001 cli\/studio\.ts --host 127\.0\.0\.1 --port 8001/,
  );
});

Deno.test("the studio refuses path traversal, symlinks out of its folders and everything else", async () => {
  const results = await scratch("studio-results");
  await Deno.mkdir(`${results}/run`);
  await Deno.writeTextFile(`${results}/run/report.md`, "# inside\n");
  await symlink(`${PROJECT_ROOT}/deno.json`, `${results}/run/escape.json`);
  await symlink(`${PROJECT_ROOT}/cli`, `${results}/cli`);
  await symlink(`${results}/run/report.md`, `${results}/inside.md`);
  // A results folder elsewhere, linked in: its derived data is refused like its files.
  const outside = await scratch("studio-outside");
  await Deno.writeTextFile(`${outside}/config.json`, "{}");
  await symlink(outside, `${results}/linked`);
  const studio = await startStudio([
    "--models-dir",
    "tests/tmp/models",
    "--results-dir",
    results,
  ]);
  const url = studio.url.trim();
  try {
    assert.equal(await rawGet(url, "/results/run/report.md"), 200);
    assert.equal(await rawGet(url, "/results/inside.md"), 200, "a symlink within is served");
    const refused: [string, number][] = [
      ["/models/../deno.json", 403],
      ["/results/../../deno.json", 403],
      ["/models/%2e%2e/deno.json", 403],
      ["/models/%2E%2e/%2e%2e/deno.json", 403],
      ["/models/..%2fdeno.json", 403],
      ["/models/..%5c..%5cdeno.json", 403],
      ["/models//etc/passwd", 403],
      ["/models/%2fetc%2fpasswd", 403],
      ["/results/run/escape.json", 403],
      ["/results/cli/studio.ts", 403],
      ["/deno.json", 404],
      ["/cli/studio.ts", 404],
      ["/node_modules/onnxruntime-web/package.json", 404],
      ["/ort/ort.js", 404],
      ["/ort/../deno.json", 403],
      ["/results/run", 404],
      ["/data/sweeps/linked.json", 403],
      ["/data/nearest/linked.json", 403],
      ["/data/sweeps/run.json", 404],
      ["/data/sweeps/..%2flinked.json", 403],
      ["/data/index.json/x", 404],
      ["/models/missing.onnx", 404],
      ["http://evil/models/cnn.onnx", 403],
    ];
    for (const [path, status] of refused) {
      assert.equal(await rawGet(url, path), status, path);
    }
    assert.equal(await rawGet(url, "/models/cnn.json", "POST"), 405);
    assert.equal(await rawGet(url, "/live", "GET", "evil.example:80"), 403, "another Host");
    assert.equal(await rawGet(url, "/models/cnn.json", "DELETE"), 405);
  } finally {
    await studio.stop();
  }
});

/** The CLI's records (evaluations and final levels) of the live runs' cells, in-process. */
async function cliRecords(
  queries: string[],
): Promise<{ evaluations: number; iterations: number; converged: boolean; pixels: string }[]> {
  const scorer = await createScorer("node-cpu", `${TEST_MODELS_DIR}/cnn.onnx`);
  try {
    const out = [];
    for (const [i, query] of queries.entries()) {
      const p = new URLSearchParams(query);
      const config = parseConfig({
        name: `studio-cli-${i}`,
        digits: [Number(p.get("digit"))],
        seeds: [Number(p.get("seed"))],
        target: Number(p.get("target")),
        strategy: { name: p.get("strategy")! },
      });
      const dir = await scratch(`studio-cli-${i}`);
      const { records } = await runExperiment(config, {
        resultsDir: dir,
        score: (x, n) => scorer.score(x, n),
        modelSha256: "tiny",
      });
      const [record] = records;
      const { levels } = decodeGreyPng(await Deno.readFile(`${dir}/${record.image}`));
      out.push({
        evaluations: record.evaluations,
        iterations: record.iterations,
        converged: record.converged,
        pixels: btoa(String.fromCharCode(...levels)),
      });
    }
    return out;
  } finally {
    await scorer.close();
  }
}

/** A run of a model that is not there. */
const MISSING_MODEL = "model=nope&digit=1&run=1";

const LIVE_QUERIES = [1, 4, 7].map((digit) =>
  `model=cnn&digit=${digit}&strategy=sketch&seed=1&target=0.8&run=1`
);

Deno.test({
  name:
    `the live page loads without console errors, its sketch search equals the CLI's record, a missing model is named${skipped}`,
  ignore: NO_BROWSER !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await tinyModel("cnn");
    const screenshots = `${TMP}/screenshots`;
    await Deno.mkdir(screenshots, { recursive: true });
    const studio = await startStudio(["--models-dir", "tests/tmp/models"]);
    let report;
    try {
      // Playwright probes /proc, which Deno grants only with --allow-all: the browser gets its
      // own process, the suite keeps its narrow permissions.
      const out = await new Deno.Command("deno", {
        args: [
          "run",
          "-A",
          "tests/_browser.ts",
          studio.url.trim(),
          screenshots,
          ...LIVE_QUERIES,
          MISSING_MODEL,
        ],
        cwd: PROJECT_ROOT,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      report = JSON.parse(text.trim().split("\n").at(-1)!);
    } finally {
      await studio.stop();
    }
    // The missing model's 404 is the one console error, and the page says what is missing.
    assert.deepEqual(
      report.consoleErrors.filter((e: string) => !e.includes("model=nope")),
      [],
    );
    const missing = report.runs.pop();
    assert.match(missing.error, /No model "nope": \/models\/nope\.onnx is 404/);
    const cli = await cliRecords(LIVE_QUERIES);
    assert.equal(report.runs.length, LIVE_QUERIES.length);
    for (const [i, run] of report.runs.entries()) {
      assert.equal(run.error, undefined, run.query);
      const { converged, iterations, evaluations, pixels } = run.result;
      assert.deepEqual({ converged, iterations, evaluations, pixels }, cli[i], run.query);
      assert.equal(converged, true, run.query);
    }
  },
});

Deno.test("indexImages() finds the exact nearest image, the lowest index among ties", () => {
  const prng = createPrng(11);
  const count = 400;
  const images = new Uint8Array(count * 784);
  // Sparse strokes and dense noise, as identikits and MNIST digits are.
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < 784; i++) {
      images[n * 784 + i] = n % 2 === 0 ? (prng.nextInt(10) === 0 ? 255 : 0) : prng.nextInt(256);
    }
  }
  images.copyWithin(7 * 784, 3 * 784, 4 * 784); // image 7 is a twin of image 3
  const index = indexImages(images, count);
  for (let q = 0; q < 30; q++) {
    const query = Uint8Array.from({ length: 784 }, () => prng.nextInt(q % 2 ? 256 : 40));
    let best = Infinity, bestIndex = -1;
    for (let n = 0; n < count; n++) {
      let s = 0;
      for (let i = 0; i < 784; i++) s += (images[n * 784 + i] - query[i]) ** 2;
      if (s < best) [best, bestIndex] = [s, n];
    }
    assert.deepEqual(index.nearest(query), { index: bestIndex, distance: Math.sqrt(best) / 255 });
  }
  assert.deepEqual(index.nearest(images.slice(3 * 784, 4 * 784)), { index: 3, distance: 0 });
});

Deno.test("divergence() names the first step that parts, or where one trajectory ends", () => {
  assert.equal(divergence([0.1, 0.5, 0.9], [0.1, 0.5, 0.9]), null);
  assert.equal(divergence([0.1, 0.5000015, 0.9], [0.1, 0.5, 0.9]), null, "within the tolerance");
  assert.equal(divergence([0.1, 0.51, 0.9], [0.1, 0.5, 0.9]), 2);
  assert.equal(divergence([0.1, 0.5], [0.1, 0.5, 0.9]), 3);
  assert.equal(pixelsChanged([0, 5, 9], [0, 6, 9]), 1);
});

Deno.test("a search from a base image of one's own starts there and draws nothing from the PRNG for it", async () => {
  const base = new Uint8Array(784);
  for (let y = 6; y < 22; y++) base[y * 28 + 14] = 255;
  const seen: number[] = [];
  const score = (images: Float32Array, count: number) => {
    if (seen.length === 0) seen.push(images.reduce((a, b) => a + b, 0));
    const out = new Float32Array(count * 10);
    for (let n = 0; n < count; n++) {
      let ink = 0;
      for (let i = 0; i < 784; i++) ink += images[n * 784 + i];
      const p = Math.min(0.99, ink / 60);
      for (let k = 0; k < 10; k++) out[n * 10 + k] = k === 1 ? p : (1 - p) / 9;
    }
    return Promise.resolve(out);
  };
  const options = {
    digit: 1,
    target: 0.9,
    maxIterations: 50,
    patience: 20,
    base: "noise" as const,
  };
  const result = await runSearch(score, {
    ...options,
    baseImage: base,
    masks: 10,
    prng: createPrng(3),
  });
  assert.equal(seen[0], 16, "the first image scored is the drawing (16 full pixels)");
  assert.equal(result.initialConfidence, Math.fround(16 / 60));
  // The same PRNG stream as a blank start's: the base draws nothing from it.
  const blank = createSearch({ ...options, base: "blank", masks: 10 }, createPrng(3));
  const drawn = createSearch({ ...options, baseImage: base, masks: 10 }, createPrng(3));
  for (const s of [blank, drawn]) s.accept(await score(s.propose().images, 1));
  // Both steps draw the same masks: off the drawing's ink, their candidates agree pixel for pixel.
  const a = blank.propose(), b = drawn.propose();
  assert.equal(a.count, b.count);
  let compared = 0;
  for (let i = 0; i < a.count * 784; i++) {
    if (base[i % 784] !== 0) continue;
    assert.equal(b.images[i], a.images[i], `candidate ${Math.floor(i / 784)}, pixel ${i % 784}`);
    compared++;
  }
  assert.ok(a.images.some((v) => v > 0), "the blank start's masks drew something");
  assert.equal(compared, a.count * (784 - 16));
  assert.throws(
    () => createSearch({ ...options, baseImage: new Uint8Array(10) }, createPrng(1)),
    /baseImage must hold 784 levels \(28×28\), received 10/,
  );
});

Deno.test("replayPlan() rebuilds the CLI's cell, search and seed from a record's key", () => {
  const config = parseConfig({
    name: "plan",
    digits: [2, 5],
    seeds: [1, 3],
    strategy: [{ name: "sketch" }, { name: "latent", decoder: "vae", method: "es" }],
    objective: { name: "margin", models: ["cnn", "mlp"] },
  });
  for (const cell of expandCells(config)) {
    const plan = replayPlan(config, cellKey(cell));
    assert.deepEqual(plan.cell, cell);
    assert.deepEqual(plan.search, cellSearch(config, cell));
    assert.equal(plan.prngSeed, cellSeed(cell));
    assert.deepEqual(plan.models, ["mlp"]);
    assert.deepEqual(plan.decoders, cell.strategy?.name === "latent" ? ["vae"] : []);
  }
  assert.throws(() => replayPlan(config, "9|9"), /The config has no cell 9\|9/);
});

/**
 * A results folder of two sweeps made in-process on the tiny models: sketch on the CNN, and the
 * latent search through the tiny VAE against the CNN and the MLP together (identikit.json's
 * setting, small budgets).
 */
async function studioResults(): Promise<string> {
  for (const name of ["cnn", "mlp", "vae"] as const) await tinyModel(name);
  const root = await scratch("studio-sweeps");
  const open = async (name: string) =>
    await createScorer("node-cpu", `${TEST_MODELS_DIR}/${name}.onnx`);
  const [cnn, mlp] = [await open("cnn"), await open("mlp")];
  const decoder = await createDecoder(
    await Deno.readFile(`${TEST_MODELS_DIR}/vae.onnx`),
    "vae.onnx",
  );
  try {
    const scoring = {
      score: (model: string, images: Float32Array, count: number) =>
        (model === "mlp" ? mlp : cnn).score(images, count),
      decode: (_: string, latents: Float32Array, count: number) => decoder.decode(latents, count),
    };
    const sweeps = [
      parseConfig({
        name: "sketches",
        description: "sketch on the tiny CNN",
        digits: [1, 4, 7],
        seeds: [1, 2],
        target: 0.8,
        strategy: { name: "sketch" },
      }),
      parseConfig({
        name: "latents",
        description: "the latent search on the tiny VAE, against the tiny CNN and MLP",
        digits: [0, 3],
        seeds: [1],
        target: 0.8,
        maxEvaluations: 600,
        strategy: { name: "latent", decoder: "vae", method: "es", candidates: 16 },
        objective: { name: "margin", models: ["cnn", "mlp"], combine: "min" },
      }),
    ];
    // The models' real hashes, as the CLI records them: a replay checks the served files.
    const sha = async (name: string) =>
      JSON.parse(await Deno.readTextFile(`${TEST_MODELS_DIR}/${name}.json`)).sha256.onnx;
    for (const config of sweeps) {
      await runExperiment(config, {
        resultsDir: `${root}/${config.name}`,
        score: scoring,
        modelSha256: await sha("cnn"),
        ...(config.name === "latents"
          ? { otherModels: { mlp: await sha("mlp"), vae: await sha("vae") } }
          : {}),
      });
    }
    // Reports: one with its figures.json (the page draws them interactively), one as an older
    // report (SVGs only, which the page and the export show as they are).
    await writeReport(`${root}/sketches`);
    await writeReport(`${root}/latents`);
    await Deno.remove(`${root}/latents/figures.json`);
  } finally {
    await cnn.close();
    await mlp.close();
    await decoder.close();
  }
  return root;
}

/** The files the live page is offered as one's own: a PyTorch-style export and a wrong one. */
async function ownModels(): Promise<void> {
  const pytorch = { layout: "NCHW", scale: { min: 0, max: 255 }, logits: true } as const;
  await externalModel(`${TMP}/pytorch.onnx`, pytorch);
  await externalModel(`${TMP}/wide.onnx`, { ...pytorch, classes: 1000 });
}

/** Runs tests/_browser_pages.ts on a plan; its report. */
async function browsePages(plan: PagesPlan): Promise<PagesReport> {
  const file = `${TMP}/pages-plan-${plan.prefix}.json`;
  await Deno.writeTextFile(file, JSON.stringify(plan));
  // Playwright probes /proc, which Deno grants only with --allow-all: the browser gets its own
  // process, the suite keeps its narrow permissions.
  const out = await new Deno.Command("deno", {
    args: ["run", "-A", "tests/_browser_pages.ts", file],
    cwd: PROJECT_ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

/** A vertical stroke: the network's "1" to draw on the pad. */
const STROKE = Array.from(
  { length: 784 },
  (_, i) => (i % 28 === 14 && i > 150 && i < 620 ? 255 : 0),
);

/** What every view of the pages must show, served or exported. */
async function checkPages(report: PagesReport, results: string): Promise<void> {
  assert.deepEqual(report.consoleErrors, []);
  assert.deepEqual(report.home.sweeps, ["latents", "sketches"]);
  assert.ok(["cnn", "mlp"].every((m) => report.home.models.includes(m)), report.home.models.join());
  const { records } = await readConfigRecords(`${results}/sketches`);
  assert.equal(report.sweep.images, records.length, "one image per record");
  assert.equal(report.sweep.labelled, records.length, "each labelled with its digit and seed");
  assert.deepEqual(report.sweep.boards, ["sketch, 8 per step"]);
  // The budget map and the report's three figures (curves, success, evaluations), as SVG.
  assert.equal(report.sweep.figures, 4);
  // The card shows the hovered record's numbers (the board's first image: digit 1, seed 1).
  const first = records.find((r) => r.digit === 1 && r.seed === 1)!;
  assert.match(report.card, /digit, seed1, 1/);
  assert.ok(report.card.includes(first.evaluations.toLocaleString("en-US")), report.card);
  assert.ok(report.card.includes(first.finalConfidence.toFixed(4)), report.card);
  assert.match(report.card, /nearest training digit: a \d, distance \d+\.\d\d/);
  for (const replay of report.replays) {
    assert.equal(replay.error, undefined, JSON.stringify(replay));
    assert.equal(replay.divergedAt, null, JSON.stringify(replay));
    assert.equal(replay.equal, true, JSON.stringify(replay));
  }
  assert.equal(report.replays.length, 2);
  assert.deepEqual(report.ownModels?.length, 3);
  assert.match(
    report.ownModels![0],
    /^Cannot use bad\.onnx: Cannot open bad\.onnx: it is not a readable ONNX file/,
  );
  // A well-formed ONNX file that is no classifier (the VAE's decoder) fails the CLI's checks,
  // and so does a classifier of 1,000 classes.
  assert.match(report.ownModels![1], /^Cannot use vae\.onnx: (?!Cannot use)/);
  assert.match(report.ownModels![2], /^Cannot use wide\.onnx: .*expected float32 \[N, 10\]/);
  // A PyTorch-style export (NCHW, [0, 255], logits), described as in a config, is taken.
  assert.match(report.goodModel ?? "", /^pytorch\.onnx passed the checks/);
  assert.equal(report.morph?.converged, true, JSON.stringify(report.morph));
  assert.ok(
    report.morph!.pixelsChanged! > 0 && report.morph!.pixelsChanged! < 784,
    `${report.morph!.pixelsChanged} pixels changed`,
  );
  assert.match(report.pad ?? "", /^The network sees a \d \(\d+\.\d %\)\.$/);
}

Deno.test({
  name:
    `the studio's pages load without console errors: sweeps and models listed, one labelled image per record, a hover shows the record, replays equal their records, a bad model is named${skipped}`,
  ignore: NO_BROWSER !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const results = await studioResults();
    const screenshots = `${TMP}/screenshots`;
    await Deno.mkdir(screenshots, { recursive: true });
    await Deno.writeTextFile(`${TMP}/bad.onnx`, "not an ONNX file");
    await ownModels();
    const studio = await startStudio([
      "--models-dir",
      "tests/tmp/models",
      "--results-dir",
      results,
    ]);
    let report;
    try {
      const url = studio.url.trim();
      for (
        const [path, status] of [
          ["index.html", 200],
          ["sweep.html", 200],
          ["run.html", 200],
          ["live.html", 200],
          ["live", 200],
          ["data/index.json", 200],
          ["data/sweeps/sketches.json", 200],
          ["data/sweeps/nope.json", 404],
          ["data/other/x.json", 404],
          ["ort/ort.webgpu.min.mjs", 200],
        ] as const
      ) {
        const response = await fetch(`${url}${path}`);
        await response.body?.cancel();
        assert.equal(response.status, status, path);
      }
      report = await browsePages({
        url,
        screenshots,
        prefix: "served",
        sweep: "sketches",
        replays: ["sketches", "latents"],
        badModels: [`${TMP}/bad.onnx`, `${TEST_MODELS_DIR}/vae.onnx`, `${TMP}/wide.onnx`],
        goodModel: {
          file: `${TMP}/pytorch.onnx`,
          layout: "NCHW",
          scale: "0,255",
          output: "logits",
        },
        drawing: STROKE,
      });
    } finally {
      await studio.stop();
    }
    await checkPages(report, results);
    assert.ok(report.sweep.readyMs < 2000, `the sweep page took ${report.sweep.readyMs} ms`);
  },
});

Deno.test({
  name:
    `deno task studio --export writes a static site whose pages pass the same checks from a plain file server${skipped}`,
  ignore: NO_BROWSER !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const results = `${TMP}/studio-sweeps`;
    if (!(await Deno.stat(`${results}/sketches/runs.jsonl`).catch(() => null))) {
      await studioResults();
    }
    await Deno.writeTextFile(`${TMP}/bad.onnx`, "not an ONNX file");
    await ownModels();
    const site = `${TMP}/studio-site`;
    await Deno.remove(site, { recursive: true }).catch(() => {});
    const args = ["--models-dir", "tests/tmp/models", "--results-dir", results, "--export", site];
    // The task itself may write site/ only, and says how to grant another folder.
    const refused = await studioCli(args);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /Cannot export to .*studio-site: no permission to read and write there/,
    );
    assert.match(
      refused.stderr,
      /--allow-read=\.,\S*studio-site --allow-write=\S*studio-site cli\/studio\.ts --export/,
    );
    const run = (extra: string[]) =>
      new Deno.Command("deno", {
        args: [
          "run",
          "--no-prompt",
          "--allow-read=.",
          `--allow-write=${TMP}`,
          "cli/studio.ts",
          ...extra,
        ],
        cwd: PROJECT_ROOT,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
    const out = await run(args);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(new TextDecoder().decode(out.stderr), /Wrote .*studio-site: 2 sweeps, 8 images/);
    // A folder that holds anything but an earlier export is refused, untouched.
    const other = await scratch("studio-not-a-site");
    await Deno.writeTextFile(`${other}/keep.txt`, "mine");
    const refusedDir = await run([...args.slice(0, -1), other]);
    assert.equal(refusedDir.code, 2);
    assert.match(
      new TextDecoder().decode(refusedDir.stderr),
      /it is not empty and is not an earlier studio export/,
    );
    assert.deepEqual([...Deno.readDirSync(other)].map((e) => e.name), ["keep.txt"]);
    // An earlier export is replaced: nothing of a sweep gone since stays.
    await Deno.writeTextFile(`${site}/data/sweeps/gone.json`, "{}");
    assert.equal((await run(args)).code, 0);
    assert.equal(await Deno.stat(`${site}/data/sweeps/gone.json`).catch(() => null), null);
    assert.ok((await Deno.stat(`${site}/data/sweeps/sketches.json`)).isFile);
    const report = await browsePages({
      serve: site,
      screenshots: `${TMP}/screenshots`,
      prefix: "static",
      sweep: "sketches",
      replays: ["sketches", "latents"],
      badModels: [`${TMP}/bad.onnx`, `${TEST_MODELS_DIR}/vae.onnx`, `${TMP}/wide.onnx`],
      goodModel: { file: `${TMP}/pytorch.onnx`, layout: "NCHW", scale: "0,255", output: "logits" },
      drawing: STROKE,
    });
    await checkPages(report, results);
  },
});

Deno.test("liveQuery() writes a config's cell as a live URL that liveRun() reads back to the CLI's cell, search and seed", () => {
  const configs = [
    parseConfig({ name: "a", digits: [0, 9], seeds: [1, 2], strategy: { name: "sketch" } }),
    parseConfig({
      name: "b",
      digits: [3],
      seeds: [4],
      target: 0.99,
      maxIterations: 2000,
      maxEvaluations: 20000,
      patience: 200,
      strategy: { name: "latent", decoder: "vae", method: "es", candidates: 16 },
      objective: { name: "margin", models: ["cnn", "mlp"], combine: "min" },
    }),
    parseConfig({
      name: "c",
      digits: [5],
      seeds: [7],
      strategy: [{ name: "nes", objective: "margin" }, { name: "square", candidates: 4 }, {
        name: "greedy",
      }],
      objective: "logprob",
    }),
  ];
  let cells = 0;
  for (const config of configs) {
    for (const cell of expandCells(config)) {
      const run = liveRun(liveQuery(config, cell));
      assert.deepEqual(run.cell, cell);
      assert.deepEqual(run.search, cellSearch(config, cell));
      assert.equal(run.prngSeed, cellSeed(cell));
      cells++;
    }
  }
  assert.equal(cells, 4 + 1 + 3);
  assert.throws(
    () =>
      liveQuery(
        parseConfig({ name: "d", masks: [50] }),
        expandCells(parseConfig({ name: "d", masks: [50] }))[0],
      ),
    /greedy with its default masks and perturbation only/,
  );
});

Deno.test("sweepData() lists settings in the config's order and each record's setting, whatever order the records finished in", async () => {
  const config = parseConfig({
    name: "order",
    digits: [1, 2],
    seeds: [1],
    target: 0.9,
    maxIterations: 50,
    strategy: [{ name: "square" }, { name: "sketch" }, { name: "es" }],
  });
  const root = await scratch("studio-order");
  await runExperiment(config, {
    resultsDir: `${root}/order`,
    score: fakeScorer(),
    modelSha256: "f",
  });
  // Records in reverse: the last setting's first.
  const file = `${root}/order/runs.jsonl`;
  const lines = (await Deno.readTextFile(file)).trim().split("\n").reverse();
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const data = await sweepData(root, "order");
  assert.deepEqual(data.settings.map((s) => s.label), [
    "square, 4 per step",
    "sketch, 8 per step",
    "es, λ = 8",
  ]);
  for (const r of data.records) {
    const strategy = (JSON.parse(lines.find((l) => JSON.parse(l).image === r.image)!).strategy
      .name) as string;
    assert.ok(data.settings[r.setting].label.startsWith(strategy), `${r.cell}: ${strategy}`);
  }
  assert.equal(data.records.length, 6);
});

Deno.test("readBundles() refuses a missing bundle and one older than its code, naming the command", async () => {
  const root = await scratch("studio-bundles");
  for (const dir of ["studio/dist", "experiments", "common"]) {
    await Deno.mkdir(`${root}/${dir}`, { recursive: true });
  }
  await Deno.writeTextFile(`${root}/studio/app.ts`, "// code");
  await assert.rejects(
    () => readBundles(root),
    (e: UsageError) =>
      /studio\/dist\/app\.js is missing/.test(e.message) && /deno task studio/.test(e.hint ?? ""),
  );
  for (const name of ["app.js", "figures.js"]) {
    await Deno.writeTextFile(`${root}/studio/dist/${name}`, `// ${name}`);
  }
  assert.deepEqual(Object.keys(await readBundles(root)), ["app.js", "figures.js"]);
  // The code changes after the bundle was made.
  const later = new Date(Date.now() + 60_000);
  await Deno.utime(`${root}/studio/app.ts`, later, later);
  await assert.rejects(
    () => readBundles(root),
    (e: UsageError) =>
      /older than the code they are made of/.test(e.message) && /deno bundle/.test(e.hint ?? ""),
  );
});
