/**
 * `deno task bench:train`: the same CNN training batches with the fast path (wasm + custom
 * gradients) and with stock tfjs (cpu backend; wasm, which has no filter gradient), side by
 * side in one run: samples/s of each and their ratio.
 */

import { intFlag, parseFlags, runMain } from "./_cli.ts";
import { describeMachine } from "../common/machine.ts";
import { useBackend } from "../train/backend.ts";
import { installFastGradients, restoreStockGradients } from "../train/fast_gradients.ts";
import { loadMnist, type MnistSet } from "../train/mnist.ts";
import { buildModel, compileModel } from "../train/models.ts";
import { TRAINING_DEFAULTS } from "../train/model_names.ts";
import { trainModel } from "../train/train.ts";
import { profileTrainingKernels } from "../train/kernel_profile.ts";

const USAGE =
  "Usage: deno task bench:train [--batch 32] [--fast-steps 20] [--stock-steps 1] [--rounds 2]\n" +
  "       deno task bench:train --ops [--batch 64] [--fast-steps 5]   (the fast path's cost per kernel)";

interface Contender {
  name: string;
  backend: "wasm" | "cpu";
  fast: boolean;
  steps: number;
}

/** Trains `steps` batches and returns samples/s (the first, warm-up batch is not timed). */
async function measure(c: Contender, data: MnistSet, batch: number): Promise<number> {
  await useBackend(c.backend);
  if (c.fast) installFastGradients();
  else restoreStockGradients();
  const model = buildModel("cnn", 1);
  compileModel(model, TRAINING_DEFAULTS.cnn);
  try {
    const warm = { ...data, count: batch };
    await trainModel(model, warm, { epochs: 1, batchSize: batch, seed: 1 });
    const timed = { ...data, count: batch * c.steps };
    const stats = await trainModel(model, timed, { epochs: 1, batchSize: batch, seed: 2 });
    return stats.samplesPerSecond;
  } finally {
    model.dispose();
    restoreStockGradients();
  }
}

if (import.meta.main) {
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        batch: { type: "string" },
        "fast-steps": { type: "string" },
        "stock-steps": { type: "string" },
        rounds: { type: "string" },
        ops: { type: "boolean", default: false },
      },
    });
    if (values.ops) {
      const batch = intFlag("batch", values.batch, { fallback: 64, max: 1024 });
      const steps = intFlag("fast-steps", values["fast-steps"], { fallback: 5, max: 1000 });
      await useBackend("wasm");
      installFastGradients();
      const data = await loadMnist("train", { limit: batch * (steps + 1) });
      console.error(
        `Kernels of one CNN training step (fast path), batch ${batch}, mean of ${steps} steps, on ${describeMachine()}`,
      );
      const rows = await profileTrainingKernels(data, { batch, steps });
      const total = rows.reduce((n, r) => n + r.ms, 0);
      console.log("| kernel | calls/step | ms/step | share | largest output |");
      console.log("| --- | ---: | ---: | ---: | --- |");
      for (const r of rows) {
        console.log(
          `| ${r.kernel} | ${r.calls} | ${r.ms.toFixed(1)} | ${
            (100 * r.ms / total).toFixed(1)
          } % | ${r.shape} |`,
        );
      }
      console.log(
        `\n${total.toFixed(0)} ms per step in kernels: ${
          (batch / (total / 1000)).toFixed(0)
        } samples/s if nothing else ran.`,
      );
      return;
    }
    const batch = intFlag("batch", values.batch, { fallback: 32, max: 1024 });
    const rounds = intFlag("rounds", values.rounds, { fallback: 2, max: 100 });
    const contenders: Contender[] = [
      {
        name: "fast: wasm + custom gradients",
        backend: "wasm",
        fast: true,
        steps: intFlag("fast-steps", values["fast-steps"], { fallback: 20 }),
      },
      {
        name: "stock tfjs: cpu backend",
        backend: "cpu",
        fast: false,
        steps: intFlag("stock-steps", values["stock-steps"], { fallback: 1 }),
      },
      { name: "stock tfjs: wasm backend", backend: "wasm", fast: false, steps: 1 },
    ];
    const maxSteps = Math.max(...contenders.map((c) => c.steps));
    const data = await loadMnist("train", { limit: batch * (maxSteps + 1) });
    console.error(
      `CNN training, batch ${batch}, ${rounds} interleaved round(s), on ${describeMachine()}`,
    );
    const results = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    const errors = new Map<string, string>();
    for (let r = 0; r < rounds; r++) {
      for (const c of contenders) {
        if (errors.has(c.name)) continue;
        try {
          const sps = await measure(c, data, batch);
          results.get(c.name)!.push(sps);
          console.error(`  round ${r + 1}: ${c.name}: ${sps.toFixed(2)} samples/s`);
        } catch (error) {
          errors.set(c.name, (error as Error).message.split("\n")[0]);
          console.error(`  ${c.name}: cannot train: ${errors.get(c.name)}`);
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const fast = median(results.get(contenders[0].name)!);
    console.log(`| path | samples/s | vs fast |\n| --- | ---: | ---: |`);
    for (const c of contenders) {
      const xs = results.get(c.name)!;
      if (errors.has(c.name)) {
        console.log(`| ${c.name} | cannot train: ${errors.get(c.name)} | – |`);
      } else {console.log(
          `| ${c.name} | ${median(xs).toFixed(2)} | ${(median(xs) / fast).toFixed(4)}× |`,
        );}
    }
    const stock = results.get(contenders[1].name)!;
    if (stock.length) {
      console.log(
        `\nThe fast path trains ${
          (fast / median(stock)).toFixed(0)
        }× faster than stock tfjs on the cpu backend.`,
      );
    }
  });
}
