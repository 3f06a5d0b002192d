/**
 * The studio's web server: serves `models/`, `results/`, its pages and their bundled scripts, the
 * JSON derived from those folders, and the few onnxruntime-web files the pages load, read-only,
 * and refuses everything else.
 */

import { UsageError } from "../common/errors.ts";
import { PAGE_NAMES, pageHtml, type PageName } from "./pages.ts";
import { nearestData, siteIndex, sweepData } from "./site_data.ts";

/** Where the studio serves from and listens. */
export interface StudioOptions {
  /** Port to listen on (0: any free one). */
  port: number;
  /** Address to bind (default 127.0.0.1: this machine only). */
  host?: string;
  modelsDir: string;
  resultsDir: string;
  /** The project's root (for `deno bundle` and node_modules/onnxruntime-web). */
  root: string;
}

/** A running studio. */
export interface Studio {
  /** `http://host:port/`. */
  url: string;
  shutdown(): Promise<void>;
}

/**
 * The only onnxruntime-web files the pages need: the wasm backend (one or several threads) and
 * the WebGPU build with the wasm files it loads.
 */
export const ORT_FILES: readonly string[] = [
  "ort.wasm.min.mjs",
  "ort-wasm-simd-threaded.mjs",
  "ort-wasm-simd-threaded.wasm",
  "ort.webgpu.min.mjs",
  "ort-wasm-simd-threaded.jsep.mjs",
  "ort-wasm-simd-threaded.jsep.wasm",
  "ort-wasm-simd-threaded.asyncify.mjs",
  "ort-wasm-simd-threaded.asyncify.wasm",
];

const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  wasm: "application/wasm",
  onnx: "application/octet-stream",
  json: "application/json; charset=utf-8",
  jsonl: "application/x-ndjson; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
  csv: "text/csv; charset=utf-8",
};

/**
 * Headers of every answer: cross-origin isolation (COOP/COEP), so that onnxruntime-web may use
 * wasm threads; no sniffing; nothing embeds or fetches us from elsewhere.
 */
const COMMON_HEADERS: Record<string, string> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
  "cross-origin-resource-policy": "same-origin",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The pages' scripts: app.js (every page) and figures.js (vega-embed, loaded by sweep pages). */
export const BUNDLES = { "app.js": "studio/app.ts", "figures.js": "studio/figures.ts" } as const;

/** Where `deno task studio` bundles them before the server starts (git-ignored). */
export const BUNDLE_DIR = "studio/dist";

/**
 * The command that bundles the pages' scripts into {@linkcode BUNDLE_DIR}, with the search
 * core as it is: what `deno task studio` runs first, so that the server itself needs no
 * permission to run anything.
 */
export const BUNDLE_COMMAND: readonly string[] = [
  "bundle",
  "--platform",
  "browser",
  "--quiet",
  "--outdir",
  BUNDLE_DIR,
  ...Object.values(BUNDLES),
];

/** What to run when the bundle is missing or stale. */
const REBUNDLE = `Run \`deno task studio\` (it bundles them first), or \`deno ${
  BUNDLE_COMMAND.join(" ")
}\`.`;

/**
 * Reads the bundled scripts; a missing bundle, or one older than any source it is made of, is
 * bad input that names the command to run (serving stale pages would hide a change).
 */
export async function readBundles(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let oldest = Infinity;
  for (const name of Object.keys(BUNDLES)) {
    const path = `${root}/${BUNDLE_DIR}/${name}`;
    try {
      oldest = Math.min(oldest, (await Deno.stat(path)).mtime?.getTime() ?? 0);
      out[name] = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new UsageError(`The studio's pages are not bundled: ${BUNDLE_DIR}/${name} is missing`, {
        hint: REBUNDLE,
      });
    }
  }
  for (const folder of ["studio", "experiments", "common"]) {
    const newer = await newestSource(`${root}/${folder}`);
    if (newer > oldest) {
      throw new UsageError(
        `The studio's pages in ${BUNDLE_DIR}/ are older than the code they are made of`,
        { hint: REBUNDLE },
      );
    }
  }
  return out;
}

/** The newest modification time of the TypeScript under `dir` (its bundle output left out). */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== "dist") {
      newest = Math.max(newest, await newestSource(path));
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      newest = Math.max(newest, (await Deno.stat(path)).mtime?.getTime() ?? 0);
    }
  }
  return newest;
}

/** Starts the studio; resolves once it listens. */
export async function startStudio(options: StudioOptions): Promise<Studio> {
  const scripts = await readBundles(options.root);
  const hostname = options.host ?? "127.0.0.1";
  const hosts = new Set<string>();
  const handler = studioHandler(options, scripts, LOOPBACK.has(hostname) ? hosts : undefined);
  const { promise, resolve } = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve(
    { port: options.port, hostname, onListen: (addr) => resolve(addr) },
    handler,
  );
  const addr = await promise;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  for (const name of [host, "localhost"]) hosts.add(`${name}:${addr.port}`);
  return { url: `http://${host}:${addr.port}/`, shutdown: () => server.shutdown() };
}

/** Addresses only this machine reaches. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * The request handler: what each path serves, and every refusal. With `hosts` (a server on a
 * loopback address), a request naming another host is refused: a web page elsewhere cannot
 * reach the studio through a name that resolves to 127.0.0.1 (DNS rebinding).
 */
export function studioHandler(
  options: StudioOptions,
  scripts: Readonly<Record<string, string>>,
  hosts?: ReadonlySet<string>,
): (request: Request) => Promise<Response> {
  const nearestCache = new Map<string, { stamp: string; value: Promise<unknown> }>();
  const roots: Record<string, string> = {
    models: options.modelsDir,
    results: options.resultsDir,
    ort: `${options.root}/node_modules/onnxruntime-web/dist`,
  };
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return refuse(405, "read-only: GET and HEAD only");
    }
    if (hosts && !hosts.has(new URL(request.url).host)) {
      return refuse(403, "this studio answers only to its own address");
    }
    const segments = pathSegments(request.url);
    if (segments === null) return refuse(403, "path traversal refused");
    const [top, ...rest] = segments;
    if (segments.length === 0) return answer(pageHtml("index"), "html");
    if (rest.length === 0) {
      const page = top === "live" ? "live" : top.replace(/\.html$/, "") as PageName;
      if (PAGE_NAMES.includes(page) && (top === "live" || top === `${page}.html`)) {
        return answer(pageHtml(page), "html");
      }
    }
    if (top === "assets" && rest.length === 1 && Object.hasOwn(scripts, rest[0])) {
      return answer(scripts[rest[0]], "js");
    }
    if (top === "data") return await data(rest, new URL(request.url).searchParams);
    if (top === "ort" && (rest.length !== 1 || !ORT_FILES.includes(rest[0]))) {
      return refuse(404, "not found");
    }
    if (top in roots && rest.length > 0) return await serveFile(roots[top], rest);
    return refuse(404, "not found");
  };

  /**
   * `data/index.json`, `data/sweeps/<name>.json`, `data/nearest/<name>.json` (`?image=F`: that
   * record's alone, where a static host would answer the whole file).
   */
  async function data(rest: string[], query: URLSearchParams): Promise<Response> {
    const dirs = { modelsDir: options.modelsDir, resultsDir: options.resultsDir };
    if (rest.length === 1 && rest[0] === "index.json") {
      return answer(JSON.stringify(await siteIndex(dirs)), "json");
    }
    const name = rest.length === 2 && rest[1].endsWith(".json") ? rest[1].slice(0, -5) : null;
    if (name === null || !(rest[0] === "sweeps" || rest[0] === "nearest")) {
      return refuse(404, "not found");
    }
    // The folder must be a results folder inside results/ (no symlink out of it).
    for (const file of ["config.json", "runs.jsonl"]) {
      const inside = await resolveInside(options.resultsDir, [name, file]);
      if (inside instanceof Response && (file === "config.json" || inside.status === 403)) {
        return inside;
      }
    }
    try {
      const image = query.get("image");
      const body = rest[0] === "sweeps"
        ? await sweepData(options.resultsDir, name)
        : image !== null
        ? await nearestData(options.resultsDir, name, image)
        : await cachedNearest(name);
      return answer(JSON.stringify(body), "json");
    } catch (error) {
      return refuse(404, `cannot show results/${name}: ${(error as Error).message}`);
    }
  }

  /** The nearest digits of a folder, computed once per state of its records. */
  async function cachedNearest(name: string): Promise<unknown> {
    const stat = await Deno.stat(`${options.resultsDir}/${name}/runs.jsonl`);
    const stamp = `${stat.mtime?.getTime()}:${stat.size}`;
    const hit = nearestCache.get(name);
    if (hit?.stamp === stamp) return await hit.value;
    const value = nearestData(options.resultsDir, name);
    nearestCache.set(name, { stamp, value });
    return await value;
  }
}

/**
 * The request path's decoded segments, or null for anything that could leave a folder: `.` or
 * `..` (also percent-encoded), empty segments (`//`, an absolute path), encoded slashes or
 * backslashes, NUL. Parsed from the raw request target, before any normalisation.
 */
export function pathSegments(url: string): string[] | null {
  const target = url.replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/[?#].*$/s, "");
  if (!target.startsWith("/")) return null;
  if (target === "/") return [];
  const segments: string[] = [];
  for (const raw of target.slice(1).split("/")) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (
      segment === "" || segment === "." || segment === ".." || /[/\\\0]/.test(segment) ||
      /^[A-Za-z]:/.test(segment)
    ) return null;
    segments.push(segment);
  }
  return segments;
}

/** A plain file under `root` (see {@linkcode resolveInside}); anything else 404. */
async function serveFile(root: string, segments: string[]): Promise<Response> {
  const real = await resolveInside(root, segments);
  if (real instanceof Response) return real;
  const info = await Deno.stat(real);
  if (!info.isFile) return refuse(404, "not found");
  const extension = real.slice(real.lastIndexOf(".") + 1).toLowerCase();
  const file = await Deno.open(real, { read: true });
  return new Response(file.readable, {
    headers: {
      ...COMMON_HEADERS,
      "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream",
      "content-length": String(info.size),
    },
  });
}

/**
 * The real path of `segments` under `root` (symlinks resolved), or the refusal: 403 when it
 * leaves root's real path, 404 when it does not exist.
 */
export async function resolveInside(
  root: string,
  segments: string[],
): Promise<string | Response> {
  let realRoot: string, real: string;
  try {
    realRoot = await Deno.realPath(root);
    real = await Deno.realPath(`${root}/${segments.join("/")}`);
  } catch {
    return refuse(404, "not found");
  }
  if (!real.startsWith(realRoot + "/")) return refuse(403, "outside the served folders");
  return real;
}

function answer(body: string, extension: string): Response {
  return new Response(body, {
    headers: { ...COMMON_HEADERS, "content-type": CONTENT_TYPES[extension] },
  });
}

function refuse(status: number, reason: string): Response {
  return new Response(`${status} ${reason}\n`, {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "text/plain; charset=utf-8" },
  });
}
