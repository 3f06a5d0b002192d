/** Runs a generator's exported decoder (latent → 784 pixels) with onnxruntime-node on the CPU. */

import { UnavailableError } from "../common/errors.ts";
import { LATENT_NAME, PIXELS_NAME } from "../train/export_onnx.ts";

/** A decoder session, created once and reused. */
export interface Decoder {
  /** The latent vector's length, read from the file. */
  readonly dim: number;
  /** Pixels (`count × 784`, in [0, 1]) for `count` latent vectors (`count × dim`). */
  decode(latents: Float32Array, count: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Opens an identikit decoder export (`models/vae.onnx`). */
export async function createDecoder(bytes: Uint8Array, source: string): Promise<Decoder> {
  const ort = await import("onnxruntime-node");
  let session: import("onnxruntime-node").InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  } catch (error) {
    throw new UnavailableError(`Cannot open the decoder ${source}: ${(error as Error).message}`, {
      cause: error,
      hint: "Retrain it: `deno task train --model vae`.",
    });
  }
  const meta = session.inputMetadata?.[0] as { name?: string; shape?: unknown[] } | undefined;
  if (!session.inputNames.includes(LATENT_NAME) || !session.outputNames.includes(PIXELS_NAME)) {
    await session.release();
    throw new UnavailableError(
      `${source} is not an identikit decoder: it needs an input "${LATENT_NAME}" and an output "${PIXELS_NAME}"`,
      { hint: "Retrain it: `deno task train --model vae`." },
    );
  }
  const dim = Number(meta?.shape?.[1]);
  return {
    dim,
    async decode(latents, count) {
      const tensor = new ort.Tensor("float32", latents.subarray(0, count * dim), [count, dim]);
      try {
        const result = await session.run({ [LATENT_NAME]: tensor });
        return result[PIXELS_NAME].data as Float32Array;
      } finally {
        tensor.dispose();
      }
    },
    close: () => session.release(),
  };
}
