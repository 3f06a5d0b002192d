/** The experiment and report commands end to end, as real subprocesses. */

import assert from "node:assert/strict";
import { exists } from "../common/files.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { decodeGreyPng } from "../experiments/store/images.ts";
import { createScorer } from "../infer/providers.ts";
import { comparable, scratch } from "./_helpers.ts";
import { runCli, spawnCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = `${dir}/${config.name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(config));
  return path;
}

const SWEEP = {
  name: "sweep",
  model: "cnn",
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  seeds: 2,
  masks: [40],
  target: 0.99,
  maxIterations: 50,
  patience: 25,
};

Deno.test({
  ...opts,
  name: "a bad config exits 2 with the path and value, and creates nothing under results",
  fn: async () => {
    const dir = await scratch("cli-bad");
    const config = await writeConfig(dir, { name: "bad", masks: [-1], extra: true });
    const { code, stderr } = await runCli("cli/experiment.ts", [
      config,
      "--results-dir",
      `${dir}/results`,
    ]);
    assert.strictEqual(code, 2);
    assert.match(stderr, /"masks\[0\]" must be ≥ 1, received -1/);
    assert.match(stderr, /unknown key\(s\) "extra"/);
    assert.strictEqual(await exists(`${dir}/results`), false);
    const missing = await runCli("cli/experiment.ts", [`${dir}/none.json`]);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.stderr, /config file .*none.json does not exist/);
    const good = await writeConfig(dir, { name: "good" });
    const flag = await runCli("cli/experiment.ts", [
      good,
      "--parallel",
      "0",
      "--results-dir",
      `${dir}/results`,
    ]);
    assert.strictEqual(flag.code, 2);
    assert.match(flag.stderr, /--parallel must be an integer from 1 to 1024, received "0"/);
    const shard = await runCli("cli/experiment.ts", [
      good,
      "--shard",
      "3/2",
      "--results-dir",
      `${dir}/results`,
    ]);
    assert.strictEqual(shard.code, 2);
    assert.match(shard.stderr, /--shard must be i\/n with 1 ≤ i ≤ n, received "3\/2"/);
    assert.strictEqual(await exists(`${dir}/results`), false);
    // A results folder outside what the task may write: a usage error, not a stack trace.
    const outside = await runCli("cli/experiment.ts", [good, "--results-dir", "/tmp/elsewhere"]);
    assert.strictEqual(outside.code, 2);
    assert.match(
      outside.stderr,
      /^error: --results-dir \/tmp\/elsewhere\/good: this task may not write there \(it may write only under results\/\)\nHINT: Pass a folder under results\/, or run the script with `deno run` and your own --allow-write\./m,
    );
    assert.doesNotMatch(outside.stderr, /NotCapable|\n {4}at /);
    // A truncated model file: bad input (exit 2) naming the file, and still nothing created.
    await Deno.mkdir(`${dir}/models`);
    await Deno.writeFile(`${dir}/models/cnn.onnx`, new Uint8Array(100).fill(0x0a));
    await Deno.writeTextFile(`${dir}/models/cnn.json`, "{}");
    const broken = await runCli("cli/experiment.ts", [
      good,
      "--models-dir",
      `${dir}/models`,
      "--results-dir",
      `${dir}/results`,
    ]);
    assert.strictEqual(broken.code, 2, broken.stderr);
    assert.match(
      broken.stderr,
      /Cannot open .*models\/cnn.onnx: (it is not a readable ONNX file|the ONNX file has no graph)/,
    );
    assert.match(broken.stderr, /HINT: The file is damaged or truncated/);
    assert.strictEqual(await exists(`${dir}/results`), false);
  },
});

Deno.test({
  ...opts,
  name:
    "SIGKILL mid-sweep, then re-run: every cell exactly once, records equal an uninterrupted run",
  fn: async () => {
    await tinyModel("cnn");
    const dir = await scratch("cli-kill");
    const config = await writeConfig(dir, SWEEP);
    const common = ["--models-dir", TEST_MODELS_DIR];
    const clean = await runCli("cli/experiment.ts", [
      config,
      ...common,
      "--results-dir",
      `${dir}/clean`,
    ]);
    assert.strictEqual(clean.code, 0, clean.stderr);

    const runs = `${dir}/killed/sweep/runs.jsonl`;
    const child = spawnCli("cli/experiment.ts", [
      config,
      ...common,
      "--results-dir",
      `${dir}/killed`,
    ]);
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      const lines = (await Deno.readTextFile(runs).catch(() => "")).split("\n").length - 1;
      if (lines >= 4) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assert.strictEqual(status.signal, "SIGKILL");
    const reference = (await readRecords(`${dir}/clean/sweep/runs.jsonl`)).records;
    // What the kill left: whole records of cells that finished, then either nothing or the
    // first part of the record being appended. Either way some cells are missing.
    const after = await readRecords(runs, { skipTorn: true });
    const partial = after.records;
    assert.ok(partial.length >= 4 && partial.length < 20, `killed after ${partial.length} records`);
    for (const r of partial) {
      assert.deepStrictEqual(
        comparable([r]),
        comparable(reference.filter((x) => x.cell === r.cell)),
        `${r.cell} was written whole before the kill`,
      );
    }
    assert.ok(await exists(`${runs}.lock`), "the killed run's lock file is left behind");
    if (!after.torn) {
      // A kill inside the append (rare: one small write) tears the last line. Make that case
      // happen every time: the start of the next cell's record, without its newline.
      const next = reference.find((x) => !partial.some((p) => p.cell === x.cell))!;
      await Deno.writeTextFile(runs, JSON.stringify(next).slice(0, 50), { append: true });
    }
    await assert.rejects(readRecords(runs), { name: "UsageError", message: /ends in a torn line/ });

    const resumed = await runCli("cli/experiment.ts", [
      config,
      ...common,
      "--results-dir",
      `${dir}/killed`,
    ]);
    assert.strictEqual(resumed.code, 0, resumed.stderr);
    assert.match(
      resumed.stderr,
      /Took over .*runs\.jsonl\.lock from pid \d+ on .*: that run is gone/,
    );
    assert.match(resumed.stderr, /Repaired .*runs\.jsonl: removed a torn last line/);
    assert.match(
      resumed.stderr,
      new RegExp(
        `Resumed: ${partial.length} cell\\(s\\) were already done, ${20 - partial.length} ran now`,
      ),
    );
    const { records, torn } = await readRecords(runs);
    assert.strictEqual(torn, false);
    assert.strictEqual(records.length, 20, "each cell exactly once");
    assert.strictEqual(new Set(records.map((r) => r.cell)).size, 20);
    assert.deepStrictEqual(comparable(records), comparable(reference));

    // A second run does no work.
    const again = await runCli("cli/experiment.ts", [
      config,
      ...common,
      "--results-dir",
      `${dir}/killed`,
    ]);
    assert.match(again.stderr, /Resumed: 20 cell\(s\) were already done, 0 ran now/);
  },
});

for (
  const [signal, code, what] of [
    ["SIGINT", 130, "Ctrl-C"],
    ["SIGTERM", 143, "a scheduler's SIGTERM (scancel, a deleted pod)"],
  ] as const
) {
  Deno.test({
    ...opts,
    name: `${what} stops cleanly with exit ${code}, releases the lock, and the run resumes`,
    fn: async () => {
      await tinyModel("cnn");
      const dir = await scratch(`cli-${signal.toLowerCase()}`);
      const config = await writeConfig(dir, SWEEP);
      const args = [config, "--models-dir", TEST_MODELS_DIR, "--results-dir", `${dir}/results`];
      const child = spawnCli("cli/experiment.ts", args);
      const runs = `${dir}/results/sweep/runs.jsonl`;
      const deadline = Date.now() + 60000;
      while (
        Date.now() < deadline && !(await Deno.readTextFile(runs).catch(() => "")).includes("\n")
      ) {
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill(signal);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.strictEqual(out.code, code, stderr);
      assert.match(
        stderr,
        /Interrupted: \d+ finished cell\(s\) are saved in .*Re-run the same command to resume/,
      );
      const { records, torn } = await readRecords(runs, { skipTorn: true });
      assert.strictEqual(torn, false, `${signal} leaves no torn line`);
      assert.ok(!(await exists(`${runs}.lock`)), `${signal} releases the records lock`);
      assert.ok(records.length < 20);
      const resumed = await runCli("cli/experiment.ts", args);
      assert.strictEqual(resumed.code, 0, resumed.stderr);
      assert.doesNotMatch(resumed.stderr, /Took over/, "nothing was left to take over");
    },
  });
}

Deno.test({
  ...opts,
  name: "an experiment writes the report files; `deno task report` regenerates the same report",
  fn: async () => {
    await tinyModel("cnn");
    const dir = await scratch("cli-report");
    const config = await writeConfig(dir, {
      ...SWEEP,
      name: "rep",
      digits: [3, 8],
      seeds: 2,
      masks: [20, 40],
      maxIterations: 25,
    });
    const run = await runCli("cli/experiment.ts", [
      config,
      "--models-dir",
      TEST_MODELS_DIR,
      "--results-dir",
      dir,
    ]);
    assert.strictEqual(run.code, 0, run.stderr);
    const results = `${dir}/rep`;
    for (
      const file of [
        "report.md",
        "grid.png",
        "curves.svg",
        "success.svg",
        "evaluations.svg",
        "summary.json",
        "baseline.json",
        "config.json",
      ]
    ) {
      assert.ok(await exists(`${results}/${file}`), `missing ${file}`);
    }
    const grid = decodeGreyPng(await Deno.readFile(`${results}/grid.png`));
    assert.strictEqual(grid.height, 2 * 28 * 3 + 3 * 2, "one row per digit");
    assert.strictEqual(grid.width, 4 * 28 * 3 + 5 * 2, "one column per run");
    const summary = JSON.parse(await Deno.readTextFile(`${results}/summary.json`));
    assert.deepStrictEqual(
      summary.groups.map((g: { digit: number; masks: number }) => `${g.digit}/${g.masks}`),
      ["3/20", "3/40", "8/20", "8/40"],
    );

    // Re-scoring every saved PNG reproduces its record's finalConfidence (within 1e-4).
    const scorer = await createScorer("node-cpu", `${TEST_MODELS_DIR}/cnn.onnx`);
    for (const r of (await readRecords(`${results}/runs.jsonl`)).records) {
      const png = decodeGreyPng(await Deno.readFile(`${results}/${r.image}`));
      const p = await scorer.score(Float32Array.from(png.levels, (v) => v / 255), 1);
      assert.ok(
        Math.abs(p[r.digit] - r.finalConfidence) <= 1e-4,
        `${r.cell}: ${p[r.digit]} vs ${r.finalConfidence}`,
      );
    }
    await scorer.close();

    const before = await Deno.readTextFile(`${results}/report.md`);
    await Deno.remove(`${results}/report.md`);
    await Deno.remove(`${results}/grid.png`);
    const rebuilt = await runCli("cli/report.ts", [results, "--models-dir", TEST_MODELS_DIR]);
    assert.strictEqual(rebuilt.code, 0, rebuilt.stderr);
    assert.strictEqual(await Deno.readTextFile(`${results}/report.md`), before);
    assert.ok(await exists(`${results}/grid.png`));
    const notResults = await runCli("cli/report.ts", [dir]);
    assert.strictEqual(notResults.code, 2);
    assert.match(notResults.stderr, /is not an identikit results folder: it has no config.json/);
  },
});

Deno.test({
  ...opts,
  name: "a missing model is trained and exported first, saying so",
  fn: async () => {
    const dir = await scratch("cli-train-first");
    const config = await writeConfig(dir, {
      name: "first",
      model: "softmax",
      digits: [1],
      seeds: 1,
      masks: [20],
      maxIterations: 5,
    });
    const run = await runCli("cli/experiment.ts", [
      config,
      "--models-dir",
      `${dir}/models`,
      "--results-dir",
      `${dir}/results`,
    ]);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.match(run.stderr, /models\/softmax\.onnx is missing: training it first \(5 epochs/);
    for (
      const file of [
        "softmax.onnx",
        "softmax.json",
        "softmax.tfjs/model.json",
        "softmax.tfjs/weights.bin",
      ]
    ) {
      assert.ok(await exists(`${dir}/models/${file}`), `missing ${file}`);
    }
    const meta = JSON.parse(await Deno.readTextFile(`${dir}/models/softmax.json`));
    assert.ok(meta.testAccuracy >= 0.915, `softmax accuracy ${meta.testAccuracy}`);
    assert.strictEqual((await readRecords(`${dir}/results/first/runs.jsonl`)).records.length, 1);
  },
});

Deno.test({
  ...opts,
  name:
    "bench:search refuses a latent strategy (it loads no decoder) with exit 2, before measuring",
  fn: async () => {
    const { code, stderr } = await runCli("cli/bench_search.ts", ["--strategies", "latent"]);
    assert.strictEqual(code, 2);
    assert.match(
      stderr,
      /--strategies: unknown or unmeasurable strategy "latent"; choose among square, nes, es, stroke, sketch/,
    );
  },
});

Deno.test({
  ...opts,
  name:
    "a config's sha256 pin runs on the model it names and refuses another file (exit 2, nothing created)",
  fn: async () => {
    await tinyModel("cnn");
    const dir = await scratch("cli-pin");
    const onnx = await Deno.readFile(`${TEST_MODELS_DIR}/cnn.onnx`);
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", onnx))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const run = (config: Record<string, unknown>) =>
      writeConfig(dir, config).then((path) =>
        runCli("cli/experiment.ts", [
          path,
          "--models-dir",
          TEST_MODELS_DIR,
          "--results-dir",
          `${dir}/results`,
        ])
      );
    const base = { ...SWEEP, digits: [3], seeds: 1, maxIterations: 2 };
    const wrong = await run({ ...base, name: "wrong", sha256: { cnn: "0123abcd" } });
    assert.strictEqual(wrong.code, 2, wrong.stderr);
    assert.match(
      wrong.stderr,
      new RegExp(
        `Model cnn in ${TEST_MODELS_DIR}/ is not the one the config pins: its ONNX sha256 is ${
          sha.slice(0, 16)
        }…, the config's "sha256.cnn" is 0123abcd`,
      ),
    );
    assert.match(wrong.stderr, /HINT: Train it by its recipe \(deno task train --model cnn/);
    assert.strictEqual(await exists(`${dir}/results/wrong`), false);
    const right = await run({ ...base, name: "right", sha256: { cnn: sha.slice(0, 8) } });
    assert.strictEqual(right.code, 0, right.stderr);
    assert.strictEqual((await readRecords(`${dir}/results/right/runs.jsonl`)).records.length, 1);
  },
});

Deno.test({
  ...opts,
  name:
    "--dry-run prints the cells per setting, those done, the models to train and an estimate, and creates nothing",
  fn: async () => {
    await tinyModel("cnn");
    const dir = await scratch("cli-dry-run");
    // Its own models folder: the tiny cnn alone, whatever other tests trained.
    await Deno.mkdir(`${dir}/models`);
    for (const f of ["cnn.onnx", "cnn.json"]) {
      await Deno.copyFile(`${TEST_MODELS_DIR}/${f}`, `${dir}/models/${f}`);
    }
    const sweep = {
      ...SWEEP,
      name: "dry",
      digits: [1, 2],
      masks: [40, 80],
      objective: ["probability", { name: "probability", models: ["cnn-w1"] }],
    };
    const config = await writeConfig(dir, sweep);
    const args = [config, "--models-dir", `${dir}/models`, "--results-dir", `${dir}/results`];
    const dry = await runCli("cli/experiment.ts", [...args, "--dry-run"]);
    assert.strictEqual(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /^Experiment "dry": 16 cells in 4 setting\(s\); .*results\/dry\/ holds 0 of them\./m,
    );
    // 2 digits × 2 seeds per setting; each later step scores its masks; a run ends at 50 steps.
    assert.match(dry.stdout, /\n\| 40 masks, probability \| 4 \| 0 \| 40 \| 8,004 \|\n/);
    assert.match(dry.stdout, /\n\| 80 masks, probability, cnn-w1 \| 4 \| 0 \| 80 \| 16,004 \|\n/);
    assert.match(dry.stdout, /Would train first, into .*cli-dry-run\/models\/: cnn-w1 \(3 epochs/);
    assert.match(
      dry.stdout,
      /Time: at most .* at [\d,]+ network queries\/s, measured now on cnn with node-cpu/,
    );
    assert.strictEqual(await exists(`${dir}/results`), false);
    assert.strictEqual(await exists(`${dir}/models/cnn-w1.onnx`), false);

    // After a run of one setting, those cells count as done; another search is named as refused.
    const one = await writeConfig(dir, { ...SWEEP, name: "dry", digits: [1, 2], masks: [40] });
    const ran = await runCli("cli/experiment.ts", [one, ...args.slice(1)]);
    assert.strictEqual(ran.code, 0, ran.stderr);
    const again = await runCli("cli/experiment.ts", [one, ...args.slice(1), "--dry-run"]);
    assert.match(again.stdout, /4 cells in 1 setting\(s\); .*results\/dry\/ holds 4 of them\./);
    assert.match(again.stdout, /\| 40 masks \| 4 \| 4 \| 40 \| 0 \|/);
    const changed = await writeConfig(dir, {
      ...SWEEP,
      name: "dry",
      digits: [1, 2],
      masks: [40],
      target: 0.9,
    });
    const refused = await runCli("cli/experiment.ts", [changed, ...args.slice(1), "--dry-run"]);
    assert.strictEqual(refused.code, 0, refused.stderr);
    assert.match(
      refused.stdout,
      /holds 0 of them\.\nThat folder holds another search \("target" was 0\.99, now 0\.9\): a run would be refused unless --fresh/,
    );
  },
});
