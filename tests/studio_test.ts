/**
 * The studio: its server (URL on stdout, 127.0.0.1, read-only, every refusal), the live page's
 * cell (the CLI's cell), and, in Debian's headless Chromium, the live page itself: no console
 * error, and a live search whose result equals the CLI's record of the same cell.
 */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { createScorer } from "../infer/providers.ts";
import { cellSeed, expandCells } from "../experiments/sweep/axes.ts";
import { cellSearch } from "../experiments/sweep/cell_search.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { LIVE_DEFAULTS, liveRun } from "../studio/live_cell.ts";
import { pathSegments } from "../studio/server.ts";
import { CHROMIUM } from "./_browser.ts";
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

/** A studio started as `deno task studio` would (the task's own permissions), and its URL. */
async function startStudio(
  args: string[],
): Promise<{ url: string; child: Deno.ChildProcess; stop(): Promise<void> }> {
  const child = new Deno.Command("deno", {
    args: ["run", ...await taskFlags("studio"), "cli/studio.ts", "--port", "0", ...args],
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
    assert.match(await live.text(), /<script type="module" src="\/assets\/live.js">/);
    for (
      const [path, type] of [
        ["assets/live.js", "text/javascript"],
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
  const help = await studioCli(["--help"]);
  assert.equal(help.code, 0);
  for (const flag of ["--port", "--host", "--models-dir", "--results-dir", "--help"]) {
    assert.match(help.stdout, new RegExp(`^  ${flag}`, "m"), flag);
  }
  const port = await studioCli(["--port", "abc"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be an integer from 0 to 65535, received "abc"/);
  const host = await studioCli(["--host", "0.0.0.0", "--port", "0"]);
  assert.equal(host.code, 2);
  assert.match(host.stderr, /Cannot listen on 0\.0\.0\.0:0: no permission/);
  assert.match(host.stderr, /--allow-net=0\.0\.0\.0 cli\/studio\.ts --host 0\.0\.0\.0/);
});

Deno.test("the studio refuses path traversal, symlinks out of its folders and everything else", async () => {
  const results = await scratch("studio-results");
  await Deno.mkdir(`${results}/run`);
  await Deno.writeTextFile(`${results}/run/report.md`, "# inside\n");
  await symlink(`${PROJECT_ROOT}/deno.json`, `${results}/run/escape.json`);
  await symlink(`${PROJECT_ROOT}/cli`, `${results}/cli`);
  await symlink(`${results}/run/report.md`, `${results}/inside.md`);
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
