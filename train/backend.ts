/** Chooses the tfjs backend: `wasm` (XNNPACK, for training and prediction) or `cpu` (reference). */

import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { fileUrl, PROJECT_ROOT } from "../common/files.ts";
import { UnavailableError } from "../common/errors.ts";

/** The tfjs backends identikit uses. */
export type TfBackend = "wasm" | "cpu";

const WASM_DIR = fileUrl(`${PROJECT_ROOT}/node_modules/@tensorflow/tfjs-backend-wasm/dist/`);
let wasmPathsSet = false;

/** Makes `name` the active tfjs backend; loads the wasm binary from node_modules on first use. */
export async function useBackend(name: TfBackend): Promise<void> {
  if (name === "wasm" && !wasmPathsSet) {
    // Deno fetches file: URLs, so the binary loads offline from the installed package.
    setWasmPaths(WASM_DIR);
    wasmPathsSet = true;
  }
  const ok = await tf.setBackend(name);
  if (ok && name === "cpu") {
    // The cpu backend's first write advertises tfjs-node, which cannot run here (native
    // addon from a CDN); we use cpu only as the reference for gradient tests and benchmarks.
    (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  }
  if (!ok || tf.getBackend() !== name) {
    throw new UnavailableError(`Cannot start the tfjs ${name} backend`, {
      hint: "Run `deno install` so that @tensorflow/tfjs-backend-wasm is in node_modules/.",
    });
  }
}
