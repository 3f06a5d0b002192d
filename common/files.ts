/** Small file helpers: atomic writes (no half-written artifacts), existence, JSON. */

import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Writes `data` to `path` through a temporary file and a rename, so readers never see half.
 * The temporary name is unique per call (pods of a Kubernetes Job often share one PID), so
 * writers of the same file at once never collide: the last rename wins, whole.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(6)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const tmp = `${path}.tmp-${Deno.pid}-${suffix}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/** Writes `value` as pretty JSON (with a final newline) atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Whether `path` exists (any kind of entry). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The hex SHA-256 of bytes or text. */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/**
 * The project root (the folder holding deno.json), for default paths. A file path, decoded:
 * a URL's `pathname` keeps %20 and %C3%BC, and a checkout under "my work/ü" would break.
 */
export const PROJECT_ROOT: string = fileURLToPath(new URL("..", import.meta.url))
  .replace(/\/$/, "");

/** The `file://` URL of a path (with spaces and other letters escaped), e.g. for wasm folders. */
export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}

/** Where models are written and read by default. */
export const DEFAULT_MODELS_DIR = `${PROJECT_ROOT}/models`;

/** Where experiment (and benchmark) results go by default. */
export const DEFAULT_RESULTS_DIR = `${PROJECT_ROOT}/results`;
