/**
 * The execution providers identikit knows, by name, in a frozen table: pure data, so that a
 * config can be checked without loading onnxruntime (infer/providers.ts opens the sessions).
 */

import { UsageError } from "./errors.ts";

/** What each provider runs on. */
export interface ProviderSpec {
  runtime: "onnxruntime-node" | "onnxruntime-web";
  executionProvider: "cpu" | "cuda" | "wasm" | "webgpu";
  description: string;
}

/** Every execution provider identikit knows, by name. */
export const PROVIDERS: Readonly<Record<string, Readonly<ProviderSpec>>> = Object.freeze(
  {
    "node-cpu": Object.freeze({
      runtime: "onnxruntime-node",
      executionProvider: "cpu",
      description: "onnxruntime-node, CPU execution provider (all cores)",
    }),
    "node-cuda": Object.freeze({
      runtime: "onnxruntime-node",
      executionProvider: "cuda",
      description: "onnxruntime-node, CUDA execution provider (needs `deno task setup:cuda`)",
    }),
    "web-wasm": Object.freeze({
      runtime: "onnxruntime-web",
      executionProvider: "wasm",
      description: "onnxruntime-web, WebAssembly (one thread: Deno has no classic workers)",
    }),
    "web-webgpu": Object.freeze({
      runtime: "onnxruntime-web",
      executionProvider: "webgpu",
      description: "onnxruntime-web, WebGPU through Deno's navigator.gpu",
    }),
  } as const,
);

/** A provider name: one of the keys of {@linkcode PROVIDERS}. */
export type ProviderName = "node-cpu" | "node-cuda" | "web-wasm" | "web-webgpu";
/** All provider names, in table order. */
export const PROVIDER_NAMES: readonly ProviderName[] = Object.freeze(
  Object.keys(PROVIDERS) as ProviderName[],
);

/** Checks a provider name; an unknown one is an error listing the valid ones. */
export function parseProviderName(name: string): ProviderName {
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) {
    return name as ProviderName;
  }
  throw new UsageError(
    `Unknown provider "${name}": valid providers are ${
      PROVIDER_NAMES.map((p) => `"${p}"`).join(", ")
    }`,
  );
}
