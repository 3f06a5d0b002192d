/**
 * Locates a config's ONNX model and its metadata: one of ours in models/, or an external file.
 * In judge/ because what it opens is what scores and judges the images.
 */

import { exists, sha256Hex } from "../../common/files.ts";
import { UsageError } from "../../common/errors.ts";
import type { ModelIoSpec } from "../../common/model_io.ts";
import type { ExternalModel, ResolvedConfig } from "../sweep/config.ts";

/** A config's model: a name trained here, or an external file's description. */
export type ModelRef = ResolvedConfig["model"];

/** Whether the model is an external ONNX file (never trained here). */
export function isExternal(model: ModelRef): model is ExternalModel {
  return typeof model === "object";
}

/** The model as people read it: its name, or the external file's path. */
export function modelLabel(model: ModelRef): string {
  return isExternal(model) ? model.onnx : model;
}

/** The ONNX file of a model. */
export function modelSource(modelsDir: string, model: ModelRef): string {
  return isExternal(model) ? model.onnx : modelPaths(modelsDir, model).onnx;
}

/** How the scorer should talk to the model: undefined for our own exports. */
function modelIoSpec(model: ModelRef): ModelIoSpec | undefined {
  if (!isExternal(model)) return undefined;
  const { onnx: _, ...io } = model;
  return io;
}

/**
 * Reads a config's model: ours from `modelsDir` (with its metadata), or the external file
 * (a missing one is bad input, exit 2). `scorer` holds what `createScorer` needs besides the
 * bytes: the file's name for messages and, for an external model, its description.
 */
export async function loadModel(modelsDir: string, model: ModelRef): Promise<{
  bytes: Uint8Array;
  sha256: string;
  meta: Record<string, unknown> | null;
  source: string;
  scorer: { source: string; io?: ModelIoSpec };
}> {
  const source = modelSource(modelsDir, model);
  const io = modelIoSpec(model);
  const scorer = { source, ...(io ? { io } : {}) };
  if (!isExternal(model)) return { ...(await readModel(modelsDir, model)), source, scorer };
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(model.onnx);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      throw new UsageError(`Cannot use model ${model.onnx}: there is no such file`, {
        hint:
          'The "onnx" path is relative to the folder the command runs in (the project root for `deno task`).',
      });
    }
    throw error;
  }
  return { bytes, sha256: await sha256Hex(bytes), meta: null, source, scorer };
}

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
