/**
 * `deno task bench:train`: the same CNN training batches on every training path, side by side
 * in one run: stock tfjs (cpu backend; wasm, which has no filter gradient), the fast path
 * (wasm + custom gradients) on the main thread, and the data-parallel workers with 1 and N
 * workers. Prints samples/s and ratios, and writes the rows to results/bench/train.json.
 */

import { dirFlag, intFlag, parseFlags, requireAccess, runMain } from "./_cli.ts";
import { describeMachine } from "../common/machine.ts";
import { DEFAULT_RESULTS_DIR, writeJsonAtomic } from "../common/files.ts";
import { useBackend } from "../train/backend.ts";
import { installFastGradients, restoreStockGradients } from "../train/fast_gradients.ts";
import { loadMnist, type MnistSet } from "../common/mnist.ts";
import { buildModel, compileModel } from "../train/models.ts";
import { TRAINING_DEFAULTS } from "../common/model_names.ts";
import { trainModel } from "../train/train.ts";
import { profileTrainingKernels } from "../train/kernel_profile.ts";
import { type ParallelTrainer, startParallelTrainer } from "../train/parallel.ts";
import { coreCount } from "../train/workers.ts";

const USAGE =
  "Usage: deno task bench:train [--batch 64] [--workers N] [--fast-steps 20] [--stock-steps 1] [--rounds 2] [--out results/bench]\n" +
  "       deno task bench:train --ops [--batch 64] [--fast-steps 5]   (the cost per kernel, main thread and worker)";

/** One row of results/bench/train.json. */
export interface TrainBenchRow {
  /** "stock-cpu", "stock-wasm", "fast" (main thread) or "workers". */
  path: string;
  workers: number;
  batch: number;
  /** Median over the rounds; null when the path cannot train. */
  samplesPerSecond: number | null;
  error?: string;
}

interface Contender {
  name: string;
  path: TrainBenchRow["path"];
  backend: "wasm" | "cpu";
  fast: boolean;
  /** Data-parallel workers; 0 trains on the main thread. */
  workers: number;
  steps: number;
  /**
   * The stock cpu backend: measured in the first round only and without a warm-up batch (at
   * under 1 sample/s each of its batches takes minutes, and it has nothing to warm up).
   */
  slow?: boolean;
}

/** Trains `steps` batches and returns samples/s (after a warm-up batch, not timed). */
async function measure(c: Contender, data: MnistSet, batch: number): Promise<number> {
  await useBackend(c.backend);
  if (c.fast) installFastGradients();
  else restoreStockGradients();
  const model = buildModel("cnn", 1);
  const recipe = TRAINING_DEFAULTS.cnn;
  compileModel(model, recipe);
  let trainer: ParallelTrainer | null = null;
  try {
    if (c.workers > 0) {
      trainer = await startParallelTrainer(model, {
        model: "cnn",
        seed: 1,
        workers: c.workers,
        batchSize: batch,
        optimizer: recipe.optimizer,
        learningRate: recipe.learningRate,
      });
    }
    const withTrainer = trainer ? { trainer } : {};
    if (!c.slow) {
      const warm = { ...data, count: batch };
      await trainModel(model, warm, { epochs: 1, batchSize: batch, seed: 1, ...withTrainer });
    }
    const timed = { ...data, count: batch * c.steps };
    const stats = await trainModel(model, timed, {
      epochs: 1,
      batchSize: batch,
      seed: 2,
      ...withTrainer,
    });
    return stats.samplesPerSecond;
  } finally {
    trainer?.close();
    model.dispose();
    restoreStockGradients();
  }
}

if (import.meta.main) {
  // Over 80 lines: the benchmark in the order it runs and prints (flags, data, each training path side by side, the table and JSON rows); the paths share one batch and one warm-up.
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        batch: {
          type: "string",
          arg: "N",
          description: "images per training step, the same for every path",
          shownDefault: "64",
        },
        "fast-steps": {
          type: "string",
          arg: "N",
          description: "timed steps of the fast paths (main thread, workers) per round",
          shownDefault: "20; 5 with --ops",
        },
        "stock-steps": {
          type: "string",
          arg: "N",
          description: "timed steps of stock tfjs (cpu, wasm) per round: they are slow",
          shownDefault: "1",
        },
        rounds: {
          type: "string",
          arg: "N",
          description: "timed rounds, interleaved; the median is reported",
          shownDefault: "2",
        },
        workers: {
          type: "string",
          arg: "N",
          description: "the data-parallel row's worker count (1–256)",
          shownDefault: "this machine's core count",
        },
        out: dirFlag(`${DEFAULT_RESULTS_DIR}/bench`, "where train.json is written"),
        ops: {
          type: "boolean",
          default: false,
          description: "instead, the cost per kernel on the main thread and in a worker",
        },
      },
    });
    if (values.ops) {
      const batch = intFlag("batch", values.batch, { fallback: 64, max: 1024 });
      const steps = intFlag("fast-steps", values["fast-steps"], { fallback: 5, max: 1000 });
      await useBackend("wasm");
      installFastGradients();
      const data = await loadMnist("train", { limit: batch * (steps + 1) });
      console.error(
        `Kernels of one CNN training step (fast path), batch ${batch}, mean of ${steps} steps, on the main thread and as a worker computes it, on ${describeMachine()}`,
      );
      const main = await profileTrainingKernels(data, { batch, steps, path: "main" });
      const worker = await profileTrainingKernels(data, { batch, steps, path: "worker" });
      const names = [...new Set([...main, ...worker].map((r) => r.kernel))];
      const of = (rows: typeof main, name: string) => rows.find((r) => r.kernel === name);
      const ms = (r?: { ms: number }) => r?.ms ?? 0;
      names.sort((a, b) =>
        Math.max(ms(of(main, b)), ms(of(worker, b))) -
          Math.max(ms(of(main, a)), ms(of(worker, a))) || a.localeCompare(b)
      );
      console.log(
        "| kernel | main thread: calls/step | ms/step | worker: calls/step | ms/step | largest output |",
      );
      console.log("| --- | ---: | ---: | ---: | ---: | --- |");
      for (const name of names) {
        const m = of(main, name), w = of(worker, name);
        console.log(
          `| ${name} | ${m?.calls ?? "–"} | ${m ? m.ms.toFixed(1) : "–"} | ${w?.calls ?? "–"} | ${
            w ? w.ms.toFixed(1) : "–"
          } | ${(m ?? w)!.shape} |`,
        );
      }
      const sum = (rows: typeof main) => rows.reduce((n, r) => n + r.ms, 0);
      console.log(
        `\n${sum(main).toFixed(0)} ms per step in kernels on the main thread, ${
          sum(worker).toFixed(0)
        } ms as one worker computes it (both: tfjs's kernels plus the optimizer).`,
      );
      return;
    }
    const batch = intFlag("batch", values.batch, { fallback: 64, max: 1024 });
    requireAccess(values.out, "write", { flag: "--out", allowed: "results/" });
    const rounds = intFlag("rounds", values.rounds, { fallback: 2, max: 100 });
    const workers = intFlag("workers", values.workers, { fallback: coreCount(), max: 256 });
    const fastSteps = intFlag("fast-steps", values["fast-steps"], { fallback: 20 });
    const fast = { backend: "wasm", fast: true, steps: fastSteps } as const;
    const contenders: Contender[] = [
      { name: "fast path, main thread", path: "fast", workers: 0, ...fast },
      { name: "fast path, 1 worker", path: "workers", workers: 1, ...fast },
      ...(workers > 1
        ? [{ name: `fast path, ${workers} workers`, path: "workers", workers, ...fast }]
        : []),
      {
        name: "stock tfjs: cpu backend",
        path: "stock-cpu",
        backend: "cpu",
        fast: false,
        workers: 0,
        steps: intFlag("stock-steps", values["stock-steps"], { fallback: 1 }),
        slow: true,
      },
      {
        name: "stock tfjs: wasm backend",
        path: "stock-wasm",
        backend: "wasm",
        fast: false,
        workers: 0,
        steps: 1,
      },
    ];
    const maxSteps = Math.max(...contenders.map((c) => c.steps));
    const data = await loadMnist("train", { limit: batch * (maxSteps + 1) });
    const machine = describeMachine();
    console.error(
      `CNN training, batch ${batch}, ${rounds} interleaved round(s), on ${machine}`,
    );
    const results = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
    const errors = new Map<string, string>();
    for (let r = 0; r < rounds; r++) {
      for (const c of contenders) {
        if (errors.has(c.name) || (c.slow && r > 0)) continue;
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
    const rows: TrainBenchRow[] = contenders.map((c) => {
      const error = errors.get(c.name);
      return {
        path: c.path,
        workers: Math.max(1, c.workers),
        batch,
        samplesPerSecond: error ? null : median(results.get(c.name)!),
        ...(error ? { error } : {}),
      };
    });
    const oneWorker = rows[1].samplesPerSecond;
    console.log(`| path | workers | samples/s | vs 1 worker |\n| --- | ---: | ---: | ---: |`);
    contenders.forEach((c, i) => {
      const row = rows[i];
      console.log(
        row.samplesPerSecond === null
          ? `| ${c.name} | ${row.workers} | cannot train: ${row.error} | – |`
          : `| ${c.name} | ${row.workers} | ${row.samplesPerSecond.toFixed(2)} | ${
            oneWorker ? `${(row.samplesPerSecond / oneWorker).toFixed(2)}×` : "–"
          } |`,
      );
    });
    const best = rows[workers > 1 ? 2 : 1].samplesPerSecond;
    const stock = rows.find((r) => r.path === "stock-cpu")?.samplesPerSecond;
    if (best && stock) {
      console.log(
        `\nWith ${workers} worker(s) the fast path trains ${
          (best / stock).toFixed(0)
        }× faster than stock tfjs on the cpu backend.`,
      );
    }
    await Deno.mkdir(values.out, { recursive: true });
    await writeJsonAtomic(`${values.out}/train.json`, {
      machine,
      date: new Date().toISOString(),
      rounds,
      rows,
    });
    console.log(`Wrote ${values.out}/train.json`);
  });
}
