/**
 * Each fast gradient against tfjs's own gradient on the cpu backend (the reference), on
 * seeded random tensors. Tolerance: max |fast − reference| ≤ 1e-5 × max(1, max |reference|).
 */

import * as tf from "@tensorflow/tfjs-core";
import { useBackend } from "../train/backend.ts";
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  installFastGradients,
  restoreStockGradients,
} from "../train/fast_gradients.ts";
import { buildCnn } from "../train/models.ts";
import { assertClose } from "./_helpers.ts";
import { createPrng } from "../common/prng.ts";

const TOL = 1e-5;

type Arr = { shape: number[]; data: Float32Array };

/** Seeded uniform values in [-1, 1), made without tfjs (so before any backend is chosen). */
function random(shape: number[], seed: number): Arr {
  const prng = createPrng(seed);
  const data = Float32Array.from(
    { length: shape.reduce((a, b) => a * b, 1) },
    () => 2 * prng.next() - 1,
  );
  return { shape, data };
}
const t4 = (a: Arr) => tf.tensor4d(a.data, a.shape as [number, number, number, number]);

/** Stock conv2d gradients on cpu for (x, w, dy). */
async function referenceConvGrads(x: Arr, w: Arr, dy: Arr, pad: "same" | "valid") {
  await useBackend("cpu");
  restoreStockGradients();
  return tf.tidy(() => {
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pad)
    )([t4(x), t4(w)], t4(dy));
    return { gx: gx.dataSync() as Float32Array, gw: gw.dataSync() as Float32Array };
  });
}

const CASES = [
  {
    name: "5×5 same, 1→8 channels (conv1 of the CNN)",
    x: [3, 12, 12, 1],
    w: [5, 5, 1, 8],
    pad: "same",
  },
  {
    name: "5×5 same, 8→16 channels (conv2 of the CNN)",
    x: [2, 10, 10, 8],
    w: [5, 5, 8, 16],
    pad: "same",
  },
  {
    name: "4×4 same (even kernel: asymmetric padding)",
    x: [2, 9, 9, 3],
    w: [4, 4, 3, 5],
    pad: "same",
  },
  { name: "3×3 valid", x: [2, 8, 8, 4], w: [3, 3, 4, 6], pad: "valid" },
] as const;

for (const c of CASES) {
  Deno.test(`conv2d fast gradients match the cpu reference: ${c.name}`, async () => {
    const outHW = c.pad === "same" ? c.x[1] : c.x[1] - c.w[0] + 1;
    const x = random([...c.x], 1), w = random([...c.w], 2);
    const dy = random([c.x[0], outHW, outHW, c.w[3]], 3);
    const ref = await referenceConvGrads(x, w, dy, c.pad);
    await useBackend("wasm");
    const [gx, gw] = tf.tidy(() => [
      conv2dInputGradient(t4(dy), t4(w), { pad: c.pad }).dataSync() as Float32Array,
      conv2dFilterGradient(t4(x), t4(dy), { filterShape: [...c.w], pad: c.pad })
        .dataSync() as Float32Array,
    ]);
    assertClose(gx, ref.gx, TOL, "input gradient");
    assertClose(gw, ref.gw, TOL, "filter gradient");
    // And through tfjs's gradient registry, the way training uses them.
    installFastGradients();
    const [rx, rw] = tf.tidy(() =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad)
      )(
        [t4(x), t4(w)],
        t4(dy),
      ).map((g) => g.dataSync() as Float32Array)
    );
    restoreStockGradients();
    assertClose(rx, ref.gx, TOL, "registered input gradient");
    assertClose(rw, ref.gw, TOL, "registered filter gradient");
  });
}

for (
  const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]]
) {
  Deno.test(`matMul fast gradients match the cpu reference (transposeA=${transposeA}, transposeB=${transposeB})`, async () => {
    const [m, k, n] = [7, 13, 5];
    const a = random(transposeA ? [k, m] : [m, k], 4), b = random(transposeB ? [n, k] : [k, n], 5);
    const dy = random([m, n], 6);
    const run = () =>
      tf.tidy(() =>
        tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, transposeA, transposeB))(
          [tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)],
          tf.tensor(dy.data, dy.shape),
        ).map((g) => g.dataSync() as Float32Array)
      );
    await useBackend("cpu");
    restoreStockGradients();
    const [ra, rb] = run();
    await useBackend("wasm");
    installFastGradients();
    const [fa, fb] = run();
    restoreStockGradients();
    assertClose(fa, ra, TOL, "dL/da");
    assertClose(fb, rb, TOL, "dL/db");
  });
}

Deno.test("the whole CNN's weight gradients on wasm (fast) match cpu (stock) within 1e-4", async () => {
  const x = random([4, 28, 28, 1], 7);
  const labels = [3, 1, 4, 1];
  const grads = () =>
    tf.tidy(() => {
      const model = buildCnn(11);
      const input = tf.tensor4d(x.data, [4, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(labels, "int32"), 10);
      const { grads } = tf.variableGrads(() =>
        tf.losses.softmaxCrossEntropy(
          y,
          model.apply(input, { training: false }) as tf.Tensor,
        ) as tf.Scalar
      );
      const out = Object.fromEntries(
        Object.entries(grads).map((
          [name, g],
        ) => [name.replace(/_\d+$/, ""), g.dataSync() as Float32Array]),
      );
      model.dispose();
      return out;
    });
  await useBackend("cpu");
  restoreStockGradients();
  const ref = grads();
  await useBackend("wasm");
  installFastGradients();
  const fast = grads();
  restoreStockGradients();
  const names = Object.keys(ref).sort();
  assertEqualNames(Object.keys(fast).sort(), names);
  for (const name of names) assertClose(fast[name], ref[name], 1e-4, name);
});

function assertEqualNames(a: string[], b: string[]): void {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`variables differ: ${a} vs ${b}`);
}
