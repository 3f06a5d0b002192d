/**
 * `deno task bench:search`: the search loop's network queries/s (images scored, the unit of the
 * progress bar and reports) against bare `score` calls on the same provider and batch size:
 * greedy with cross-run batching at K = 1, 4, 16 cells per call, and every other strategy with
 * its default parameters and the runner's automatic K — interleaved rounds in one run, with
 * ratios.
 */

import { intFlag, listFlag, modelsDirFlag, parseFlags, runMain, shownPath } from "./_cli.ts";
import { UsageError } from "../common/errors.ts";
import { describeMachine } from "../common/machine.ts";
import { createPrng, deriveSeed } from "../common/prng.ts";
import { DEFAULT_PERTURBATION } from "../experiments/sweep/config.ts";
import { FILL_BATCH } from "../experiments/scheduler/runner.ts";
import { STRATEGIES, STRATEGY_NAMES } from "../experiments/search/strategies/registry.ts";
import type { StrategySpec } from "../experiments/search/strategies/strategy.ts";
import { modelIsReady, readModel } from "../experiments/judge/model_file.ts";
import { advanceTogether, createSearch, PIXELS } from "../experiments/search/search.ts";
import { createScorer } from "../infer/providers.ts";
import { parseProviderName } from "../common/provider_names.ts";
import { parseModelName } from "../common/model_names.ts";

const USAGE = "Usage: deno task bench:search [--provider node-cpu] [--model cnn] [--masks 500] " +
  "[--parallel 1,4,16] [--strategies square,nes,es,stroke,sketch] [--iterations 8] [--rounds 3]";

if (import.meta.main) {
  // Over 80 lines: the benchmark in the order it runs and prints (flags, model, bare scoring, then each search loop side by side); every ratio needs the bare rate of the same run.
  await runMain(async () => {
    const { values } = parseFlags(Deno.args, {
      usage: USAGE,
      flags: {
        provider: {
          type: "string",
          default: "node-cpu",
          arg: "NAME",
          description: "the one execution provider both the bare scoring and the search loops use",
        },
        model: { type: "string", default: "cnn", arg: "NAME", description: "a zoo classifier" },
        masks: {
          type: "string",
          arg: "N",
          description: "greedy's candidates per step, and the bare scoring's batch",
          shownDefault: "500",
        },
        parallel: {
          type: "string",
          arg: "LIST",
          description:
            "cells advanced together (experiment's --parallel K), comma-separated: one row each",
          shownDefault: "1,4,16",
        },
        strategies: {
          type: "string",
          arg: "LIST",
          description: "pixel strategies to time beside greedy, comma-separated",
          shownDefault: "every pixel strategy",
        },
        iterations: {
          type: "string",
          arg: "N",
          description: "search steps per timed round",
          shownDefault: "8",
        },
        rounds: {
          type: "string",
          arg: "N",
          description: "timed rounds, interleaved; the median is reported",
          shownDefault: "3",
        },
        "models-dir": modelsDirFlag("where the model is read"),
      },
    });
    const provider = parseProviderName(values.provider);
    const model = parseModelName(values.model);
    const masks = intFlag("masks", values.masks, { fallback: 500, max: 100000 });
    const ks = listFlag("parallel", values.parallel, {
      fallback: [1, 4, 16],
      parse: (s) => intFlag("parallel", s, { fallback: 1, max: 1024 }),
    });
    // Pixel strategies only: a latent one would also need its decoder loaded and timed.
    const measurable = STRATEGY_NAMES.filter((n) =>
      n !== "greedy" && !("decoder" in STRATEGIES[n].schema.parse({ name: n }))
    );
    const strategies = listFlag("strategies", values.strategies, {
      fallback: measurable,
      parse: (name) => {
        if (!measurable.includes(name)) {
          throw new UsageError(
            `--strategies: unknown or unmeasurable strategy "${name}"; choose among ${
              measurable.join(", ")
            } (greedy is measured by --parallel; latent strategies need a decoder)`,
          );
        }
        return name;
      },
    });
    const iterations = intFlag("iterations", values.iterations, { fallback: 8, max: 100000 });
    const rounds = intFlag("rounds", values.rounds, { fallback: 3, max: 100 });
    if (!await modelIsReady(values["models-dir"], model)) {
      const dir = shownPath(values["models-dir"]);
      const moved = dir === "models" ? "" : ` --models-dir ${dir}`;
      throw new UsageError(`Cannot benchmark: ${dir}/${model}.onnx does not exist`, {
        hint: `Train it first: \`deno task train --model ${model}${moved}\`.`,
      });
    }
    const scorer = await createScorer(
      provider,
      (await readModel(values["models-dir"], model)).bytes,
    );
    const score = (images: Float32Array, count: number) => scorer.score(images, count);
    const prng = createPrng(1);
    const batch = Float32Array.from({ length: masks * PIXELS }, () => prng.nextInt(256) / 255);
    await score(batch, masks); // warm-up

    const bare = async () => {
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) await score(batch, masks);
      return (iterations * masks) / ((performance.now() - t0) / 1000);
    };
    let round = 0;
    // A strategy with its default parameters, K cells so that a step fills the batch as the
    // runner's automatic --parallel does.
    const specs = new Map<string, { spec: StrategySpec; k: number }>(strategies.map((name) => {
      const spec = STRATEGIES[name].schema.parse({ name }) as StrategySpec;
      const per = STRATEGIES[name].candidates(spec);
      return [name, { spec, k: Math.max(1, Math.ceil(FILL_BATCH / per)) }];
    }));
    const loop = async (k: number, strategy?: StrategySpec) => {
      // Targets never reached and patience never exhausted: every step is a full batch.
      const searches = Array.from({ length: k }, (_, i) =>
        createSearch({
          digit: i % 10,
          masks,
          target: 0.999999999,
          maxIterations: iterations + 1,
          patience: iterations + 1,
          perturbation: { ...DEFAULT_PERTURBATION },
          base: "blank",
          ...(strategy ? { strategy, objective: "margin" as const } : {}),
        }, createPrng(deriveSeed("bench", round, i))));
      await advanceTogether(searches, score); // scores the bases
      const t0 = performance.now();
      let queries = 0;
      for (let i = 0; i < iterations; i++) {
        await advanceTogether(searches, score, { onCall: (images) => queries += images });
      }
      return queries / ((performance.now() - t0) / 1000);
    };
    const strategyRow = (name: string) => `${name}, K=${specs.get(name)!.k}`;
    const names = [
      "bare score()",
      ...ks.map((k) => `search loop, K=${k}`),
      ...strategies.map(strategyRow),
    ];
    const results = new Map<string, number[]>(names.map((n) => [n, []]));
    console.error(
      `Search throughput: ${model} on ${provider} (${scorer.device}), ${masks} masks, ${iterations} iterations × ${rounds} interleaved rounds, on ${describeMachine()}`,
    );
    for (round = 0; round < rounds; round++) {
      results.get(names[0])!.push(await bare());
      for (const k of ks) results.get(`search loop, K=${k}`)!.push(await loop(k));
      for (const name of strategies) {
        const { spec, k } = specs.get(name)!;
        results.get(strategyRow(name))!.push(await loop(k, spec));
      }
      console.error(
        `  round ${round + 1}: ${
          names.map((n) => `${n} ${results.get(n)!.at(-1)!.toFixed(0)}/s`).join(", ")
        }`,
      );
    }
    await scorer.close();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const bareRate = median(results.get(names[0])!);
    const k1 = ks.includes(1) ? median(results.get("search loop, K=1")!) : NaN;
    console.log(
      "| what | batch per call | network queries/s | vs bare score() | vs K=1 |\n| --- | ---: | ---: | ---: | ---: |",
    );
    console.log(`| bare score() | ${masks} | ${bareRate.toFixed(0)} | 1.00 | – |`);
    for (const k of ks) {
      const rate = median(results.get(`search loop, K=${k}`)!);
      console.log(
        `| search loop, K=${k} | ${k * masks} | ${rate.toFixed(0)} | ${
          (rate / bareRate).toFixed(2)
        } | ${(rate / k1).toFixed(2)} |`,
      );
    }
    for (const name of strategies) {
      const { spec, k } = specs.get(name)!;
      const rate = median(results.get(strategyRow(name))!);
      console.log(
        `| ${name} (${STRATEGIES[name].candidates(spec)} per step), K=${k} | ${
          k * STRATEGIES[name].candidates(spec)
        } | ${rate.toFixed(0)} | ${(rate / bareRate).toFixed(2)} | ${(rate / k1).toFixed(2)} |`,
      );
    }
    if (ks.includes(1)) {
      console.log(
        `\nThe search loop keeps ${
          ((k1 / bareRate) * 100).toFixed(1)
        } % of bare scoring throughput.`,
      );
    }
  });
}
