/** Locates a config's ONNX model and its metadata. */

import { exists, sha256Hex } from "../common/files.ts";

/** Paths of a model's artifacts in `modelsDir`. */
export function modelPaths(
  modelsDir: string,
  model: string,
): { onnx: string; meta: string; tfjs: string } {
  return {
    onnx: `${modelsDir}/${model}.onnx`,
    meta: `${modelsDir}/${model}.json`,
    tfjs: `${modelsDir}/${model}.tfjs`,
  };
}

/** Whether the model is complete (its metadata is written last, after the ONNX file). */
export async function modelIsReady(modelsDir: string, model: string): Promise<boolean> {
  const p = modelPaths(modelsDir, model);
  return (await exists(p.onnx)) && (await exists(p.meta));
}

/** Reads the ONNX bytes, their sha256 and the metadata (if any). */
export async function readModel(modelsDir: string, model: string): Promise<{
  bytes: Uint8Array;
  sha256: string;
  meta: Record<string, unknown> | null;
}> {
  const p = modelPaths(modelsDir, model);
  const bytes = await Deno.readFile(p.onnx);
  const meta = (await exists(p.meta)) ? JSON.parse(await Deno.readTextFile(p.meta)) : null;
  return { bytes, sha256: await sha256Hex(bytes), meta };
}
