/** Runs a generator's exported decoder (latent → 784 pixels) on the CPU, through providers.ts. */

import { UnavailableError } from "../common/errors.ts";
import { LATENT_NAME, PIXELS_NAME } from "../common/model_io.ts";
import { type GraphSession, openGraphSession } from "./providers.ts";

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
  let session: GraphSession;
  try {
    session = await openGraphSession(bytes);
  } catch (error) {
    throw new UnavailableError(`Cannot open the decoder ${source}: ${(error as Error).message}`, {
      cause: error,
      hint: "Retrain it: `deno task train --model vae`.",
    });
  }
  if (!session.inputNames.includes(LATENT_NAME) || !session.outputNames.includes(PIXELS_NAME)) {
    await session.release();
    throw new UnavailableError(
      `${source} is not an identikit decoder: it needs an input "${LATENT_NAME}" and an output "${PIXELS_NAME}"`,
      { hint: "Retrain it: `deno task train --model vae`." },
    );
  }
  const dim = Number(session.inputShape?.[1]);
  return {
    dim,
    async decode(latents, count) {
      const result = await session.run({
        [LATENT_NAME]: { data: latents.subarray(0, count * dim), dims: [count, dim] },
      });
      return result[PIXELS_NAME].data as Float32Array;
    },
    close: () => session.release(),
  };
}
