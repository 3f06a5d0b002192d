/**
 * The learned prior: a small variational autoencoder (Kingma & Welling 2014) trained on MNIST.
 * Its decoder (latent → 784 pixels) is exported to ONNX; a latent-space search renders every
 * candidate with it, so candidates stay on the manifold of handwriting it learned.
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { createPrng, deriveSeed, shuffleInPlace } from "../common/prng.ts";
import type { MnistSet } from "../common/mnist.ts";
import { TRAINING_DEFAULTS } from "../common/model_names.ts";
import type { TrainProgress } from "./train.ts";

/** The latent vector's length. */
export const VAE_LATENT_DIM = TRAINING_DEFAULTS.vae.latentDim!;
const HIDDEN = 400;
const PIXELS = 784;

/** The two halves of a VAE. */
export interface Vae {
  /** Image → [μ, log σ²] (2 × latent). */
  encoder: tfl.Sequential;
  /** Latent → pixels in [0, 1] (sigmoid): what is exported and searched. */
  decoder: tfl.Sequential;
  latentDim: number;
}

/** Builds a VAE with every initializer seeded from `seed`. */
export function buildVae(seed: number, latentDim = VAE_LATENT_DIM): Vae {
  const init = (layer: string) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, layer) });
  const encoder = tfl.sequential({ name: "vae_encoder" });
  encoder.add(tfl.layers.flatten({ inputShape: [28, 28, 1], name: "flatten" }));
  encoder.add(tfl.layers.dense({
    units: HIDDEN,
    activation: "relu",
    kernelInitializer: init("enc1"),
    name: "enc1",
  }));
  encoder.add(tfl.layers.dense({
    units: 2 * latentDim,
    kernelInitializer: init("enc2"),
    name: "enc2",
  }));
  const decoder = tfl.sequential({ name: "vae" });
  decoder.add(tfl.layers.dense({
    inputShape: [latentDim],
    units: HIDDEN,
    activation: "relu",
    kernelInitializer: init("dec1"),
    name: "dec1",
  }));
  decoder.add(tfl.layers.dense({
    units: PIXELS,
    activation: "sigmoid",
    kernelInitializer: init("dec2"),
    name: "dec2",
  }));
  return { encoder, decoder, latentDim };
}

/** Per image: reconstruction cross-entropy (summed over pixels) and the KL term. */
function vaeLoss(vae: Vae, x: tf.Tensor4D, noiseSeed: number): { bce: tf.Scalar; kl: tf.Scalar } {
  const n = x.shape[0], d = vae.latentDim;
  const stats = vae.encoder.apply(x) as tf.Tensor2D;
  const mu = tf.slice(stats, [0, 0], [n, d]);
  const logVar = tf.slice(stats, [0, d], [n, d]);
  const eps = tf.randomNormal([n, d], 0, 1, "float32", noiseSeed);
  const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
  const xHat = tf.clipByValue(vae.decoder.apply(z) as tf.Tensor2D, 1e-6, 1 - 1e-6);
  const flat = tf.reshape(x, [n, PIXELS]);
  const likelihood = tf.add(
    tf.mul(flat, tf.log(xHat)),
    tf.mul(tf.sub(1, flat), tf.log(tf.sub(1, xHat))),
  );
  const bce = tf.mean(tf.neg(tf.sum(likelihood, 1))) as tf.Scalar;
  const kl = tf.mean(
    tf.mul(tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)), 1), -0.5),
  ) as tf.Scalar;
  return { bce, kl };
}

/** Options for {@linkcode trainVae}. */
export interface TrainVaeOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (progress: TrainProgress) => void;
}

/**
 * Trains `vae` on `data` with Adam, seeded shuffling and seeded reparameterisation noise.
 * Progress reports the loss (negative ELBO per image) in place of a loss, and 0 accuracy.
 */
export async function trainVae(vae: Vae, data: MnistSet, options: TrainVaeOptions): Promise<{
  trainSeconds: number;
  samplesPerSecond: number;
  samples: number;
  history: { epoch: number; loss: number; accuracy: number }[];
}> {
  const { epochs, batchSize, seed } = options;
  const prng = createPrng(deriveSeed(seed, "shuffle"));
  const order = Uint32Array.from({ length: data.count }, (_, i) => i);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = [...vae.encoder.trainableWeights, ...vae.decoder.trainableWeights]
    .map((w) => (w as unknown as { val: tf.Variable }).val);
  const xBuffer = new Float32Array(batchSize * PIXELS);
  const history: { epoch: number; loss: number; accuracy: number }[] = [];
  const start = performance.now();
  let samples = 0, step = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffleInPlace(order, prng);
      let lossSum = 0, seen = 0;
      for (let offset = 0; offset < data.count; offset += batchSize) {
        options.signal?.throwIfAborted();
        const n = Math.min(batchSize, data.count - offset);
        for (let i = 0; i < n; i++) {
          const index = order[offset + i];
          xBuffer.set(data.images.subarray(index * PIXELS, (index + 1) * PIXELS), i * PIXELS);
        }
        const x = tf.tensor4d(xBuffer.subarray(0, n * PIXELS), [n, 28, 28, 1]);
        const noiseSeed = deriveSeed(seed, "noise", step);
        const cost = optimizer.minimize(
          () => {
            const { bce, kl } = vaeLoss(vae, x, noiseSeed);
            return tf.add(bce, kl) as tf.Scalar;
          },
          true,
          variables,
        )!;
        const loss = (await cost.data())[0];
        tf.dispose([x, cost]);
        lossSum += loss * n;
        seen += n;
        samples += n;
        step++;
        await new Promise((resolve) => setTimeout(resolve, 0));
        options.onProgress?.({
          epoch,
          epochs,
          samples,
          totalSamples: epochs * data.count,
          loss: lossSum / seen,
          accuracy: 0,
          samplesPerSecond: samples / ((performance.now() - start) / 1000),
        });
      }
      history.push({ epoch, loss: lossSum / seen, accuracy: 0 });
    }
  } finally {
    optimizer.dispose();
  }
  const trainSeconds = (performance.now() - start) / 1000;
  return { trainSeconds, samplesPerSecond: samples / trainSeconds, samples, history };
}

/**
 * How well the VAE models held-out digits: the negative ELBO per image (nats) and the mean
 * Euclidean distance between a test digit and its reconstruction from the mean latent.
 */
export function evaluateVae(vae: Vae, data: MnistSet, batchSize = 500): {
  testLoss: number;
  reconstructionDistance: number;
} {
  let loss = 0, distance = 0;
  for (let offset = 0; offset < data.count; offset += batchSize) {
    const n = Math.min(batchSize, data.count - offset);
    const [l, dist] = tf.tidy(() => {
      const x = tf.tensor4d(data.images.subarray(offset * PIXELS, (offset + n) * PIXELS), [
        n,
        28,
        28,
        1,
      ]);
      const { bce, kl } = vaeLoss(vae, x, deriveSeed("vae/evaluate", offset));
      const stats = vae.encoder.apply(x) as tf.Tensor2D;
      const mu = tf.slice(stats, [0, 0], [n, vae.latentDim]);
      const xHat = vae.decoder.apply(mu) as tf.Tensor2D;
      const d = tf.sum(tf.sqrt(tf.sum(tf.square(tf.sub(xHat, tf.reshape(x, [n, PIXELS]))), 1)));
      return [tf.add(bce, kl).dataSync()[0] * n, d.dataSync()[0]];
    });
    loss += l;
    distance += dist;
  }
  return { testLoss: loss / data.count, reconstructionDistance: distance / data.count };
}
