/** `deno task bench`: every execution provider (and tfjs) on the same model, inputs and batch sizes. */

import {
  dirFlag,
  intFlag,
  listFlag,
  modelsDirFlag,
  parseFlags,
  requireAccess,
  runMain,
} from "./_cli.ts";
import { DEFAULT_RESULTS_DIR, writeFileAtomic, writeJsonAtomic } from "../common/files.ts";
import { describeMachine } from "../common/machine.ts";
import { UsageError } from "../common/errors.ts";
import { createScorer } from "../infer/providers.ts";
import { parseProviderName, PROVIDER_NAMES } from "../common/provider_names.ts";
import {
  type BenchContender,
  benchmarkScorers,
  type BenchRow,
  benchTable,
} from "../infer/bench.ts";
import { countFlops } from "../infer/flops.ts";
import { loadMnist } from "../common/mnist.ts";
import { parseModelName } from "../common/model_names.ts";
import { createTfjsScorer } from "../train/tfjs_scorer.ts";

const USAGE =
  "Usage: deno task bench [--providers node-cpu,web-wasm,…] [--batches 1,32,500,2048] " +
  "[--model NAME|path/to/model.onnx] [--rounds 7] [--no-tfjs] [--out results/bench]";

/** The tfjs baseline's row name. */
export const TFJS_ROW = "tfjs-wasm";

if (import.meta.main) {
  // Over 80 lines: the benchmark in the order it runs and prints (flags, models, each provider × batch side by side, the table); its rows share one clock and one set of inputs.
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        providers: {
          type: "string",
          arg: "LIST",
          description: `execution providers to compare, comma-separated (${
            PROVIDER_NAMES.join(", ")
          })`,
          shownDefault: "all of them",
        },
        batches: {
          type: "string",
          arg: "LIST",
          description: "batch sizes, comma-separated (1–10,000)",
          shownDefault: "1,32,500,2048",
        },
        model: {
          type: "string",
          default: "cnn",
          arg: "NAME|FILE",
          description: "a zoo model, or the path of an external .onnx classifier",
        },
        rounds: {
          type: "string",
          arg: "N",
          description: "timed rounds per provider × batch, interleaved; the median is reported",
          shownDefault: "7",
        },
        "no-tfjs": {
          type: "boolean",
          default: false,
          description: "leave out the tfjs-wasm row (the baseline every ratio is against)",
        },
        "models-dir": modelsDirFlag("where the model is read"),
        out: dirFlag(
          `${DEFAULT_RESULTS_DIR}/bench`,
          "where providers.json and providers.md are written",
        ),
      },
    });
    // Checked before measuring: a refused --out would otherwise waste the whole benchmark.
    requireAccess(values.out, "write", { flag: "--out", allowed: "results/" });
    const providers = listFlag("providers", values.providers, {
      fallback: [...PROVIDER_NAMES],
      parse: parseProviderName,
    });
    const batches = listFlag("batches", values.batches, {
      fallback: [1, 32, 500, 2048],
      parse: (s) => intFlag("batches", s, { fallback: 1, max: 10000 }),
    });
    // A name from the zoo, or the path of an external .onnx file (layout and output detected).
    const external = /\.onnx$/i.test(values.model);
    const model = external ? values.model : parseModelName(values.model);
    const rounds = intFlag("rounds", values.rounds, { fallback: 7, max: 1000 });
    const onnxPath = external ? model : `${values["models-dir"]}/${model}.onnx`;
    let onnx: Uint8Array;
    try {
      onnx = await Deno.readFile(onnxPath);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new UsageError(`Cannot benchmark: ${onnxPath} does not exist`, {
        hint: external
          ? "Give the path of an ONNX file inside the project folder."
          : `Train and export it first: \`deno task train --model ${model}\`.`,
      });
    }
    // The FLOP counter knows the operators of our own exports; other graphs go without GFLOP/s.
    let flopsPerImage = NaN;
    try {
      flopsPerImage = countFlops(onnx).total;
    } catch (error) {
      if (!external) throw error;
      console.error(`GFLOP/s not shown: ${(error as Error).message}`);
    }
    const test = await loadMnist("test", { limit: Math.max(...batches) });
    const contenders: BenchContender[] = providers.map((p) => ({
      name: p,
      open: () => createScorer(p, onnx, { source: onnxPath, ...(external ? { io: {} } : {}) }),
    }));
    // tfjs runs our own models only: an external file has no tfjs weights.
    if (!values["no-tfjs"] && !external) {
      contenders.push({
        name: TFJS_ROW,
        open: () => createTfjsScorer(`${values["models-dir"]}/${model}.tfjs`),
      });
    }
    const machine = describeMachine();
    console.error(
      `Benchmarking ${model} (${
        Number.isFinite(flopsPerImage)
          ? `${(flopsPerImage / 1e6).toFixed(1)} MFLOP/image`
          : "FLOPs unknown"
      }) on ${machine}: ${contenders.map((c) => c.name).join(", ")} × batches ${
        batches.join(", ")
      }, ${rounds} interleaved rounds`,
    );
    const rows = await benchmarkScorers(contenders, {
      batches,
      images: test.images,
      flopsPerImage,
      reference: "node-cpu",
      rounds,
      onRow: (r: BenchRow) =>
        console.error(
          r.error
            ? `  ${r.provider}: cannot run: ${r.error}`
            : `  ${r.provider} batch ${r.batch}: ${
              r.candidatesPerSecond!.toFixed(0)
            } candidates/s (${r.msPerBatch!.toFixed(1)} ms/batch)`,
        ),
    });
    const ratios = batches.map((batch) => {
      const cpu = rows.find((r) => r.provider === "node-cpu" && r.batch === batch)
        ?.candidatesPerSecond;
      const tfjs = rows.find((r) => r.provider === TFJS_ROW && r.batch === batch)
        ?.candidatesPerSecond;
      return cpu && tfjs
        ? `batch ${batch}: node-cpu is ${(cpu / tfjs).toFixed(1)}× tfjs-wasm`
        : null;
    }).filter((x) => x !== null);
    const table = benchTable(rows);
    const date = new Date().toISOString();
    const md = `# Execution providers: ${model}\n\n${date} on ${machine}.\n` +
      `Same ONNX model (${
        Number.isFinite(flopsPerImage)
          ? `${(flopsPerImage / 1e6).toFixed(2)} MFLOP per image`
          : "FLOPs unknown"
      }), same MNIST test images, median of ${rounds} interleaved rounds; ` +
      `max abs diff is against node-cpu.\n\n${table}\n\n${
        ratios.map((r) => `- ${r}`).join("\n")
      }\n`;
    await Deno.mkdir(values.out, { recursive: true });
    await writeJsonAtomic(`${values.out}/providers.json`, rows);
    await writeFileAtomic(`${values.out}/providers.md`, md);
    console.log(table);
    for (const r of ratios) console.log(r);
    console.log(`Wrote ${values.out}/providers.json and providers.md`);
  });
}
