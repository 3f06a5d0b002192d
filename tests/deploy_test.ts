/**
 * The deploy recipes run shards that batch like one machine: the command each recipe builds is
 * captured (Slurm: by running the script with a stub `deno`; Kubernetes: from the Job's spec)
 * and run on a small strategy sweep, and the batches its shard scored are measured.
 */

import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { PROJECT_ROOT } from "../common/files.ts";
import { expandCells } from "../experiments/sweep/axes.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords, readSegments } from "../experiments/store/records_io.ts";
import { shardCells } from "../experiments/sweep/shards.ts";
import { scratch } from "./_helpers.ts";
import { runCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** 40 cells of square, 4 candidates per step: a shard of 8 still holds several. */
const SWEEP = {
  name: "deploy-batches",
  model: "softmax",
  digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  seeds: 4,
  target: 0.95,
  maxIterations: 25,
  patience: 25,
  strategy: [{ name: "square" }],
};
const SQUARE_CANDIDATES = 4;

/** The arguments `deno` is started with when `deploy/slurm-array.sh` runs as array task `env`. */
async function slurmCommand(dir: string, env: Record<string, string>): Promise<string[]> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(`${bin}/deno`, '#!/bin/sh\nprintf "%s\\n" "$@" > "$STUB_ARGS"\n');
  await Deno.chmod(`${bin}/deno`, 0o755);
  const out = await new Deno.Command("bash", {
    // The stub goes first in PATH inside the shell only: this process's PATH stays as it is.
    args: ["-c", 'PATH="$STUB_BIN:$PATH" exec bash "$0"', `${PROJECT_ROOT}/deploy/slurm-array.sh`],
    cwd: PROJECT_ROOT,
    env: { ...env, STUB_BIN: bin, STUB_ARGS: `${dir}/args` },
    stdin: "null",
  }).output();
  assert.strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  return (await Deno.readTextFile(`${dir}/args`)).trimEnd().split("\n");
}

/**
 * Runs `deno task experiment CONFIG …` as `command` gives it (the config replaced by the test
 * sweep's, models and results in tests/tmp), in the environment a scheduler gives a shard; returns
 * the shard's records and the batches it scored.
 */
async function runShard(dir: string, command: string[], env: Record<string, string>) {
  assert.deepStrictEqual(command.slice(0, 2), ["task", "experiment"], command.join(" "));
  const config = `${dir}/${SWEEP.name}.json`;
  await Deno.writeTextFile(config, JSON.stringify(SWEEP));
  const results = `${dir}/results`;
  const run = await runCli("cli/experiment.ts", [
    config,
    ...command.slice(3),
    "--models-dir",
    TEST_MODELS_DIR,
    "--results-dir",
    results,
  ], env);
  assert.strictEqual(run.code, 0, run.stderr);
  const folder = `${results}/${SWEEP.name}`;
  const shardFile = [...Deno.readDirSync(folder)].find((e) =>
    /^runs\.\d+-of-\d+\.jsonl$/.test(e.name)
  );
  assert.ok(shardFile, `the run wrote no shard records: ${run.stderr}`);
  const { records } = await readRecords(`${folder}/${shardFile.name}`);
  const segments = await readSegments(folder);
  assert.strictEqual(segments.length, 1);
  return { records, segment: segments[0] };
}

/**
 * A shard batches like one machine when every step scores all its running cells in one call:
 * then it makes as many calls as its longest run has steps (the base, then one per iteration),
 * where one cell per call would make one per step of every run.
 */
function assertBatched(
  what: string,
  records: { iterations: number }[],
  segment: { queries: number; calls?: number },
): void {
  assert.ok(records.length >= 2, `${what}: the shard must hold several cells to batch them`);
  const perCall = segment.queries / segment.calls!;
  const oneCellCalls = records.reduce((n, r) => n + r.iterations + 1, 0);
  assert.strictEqual(
    segment.calls,
    Math.max(...records.map((r) => r.iterations)) + 1,
    `${what}: ${segment.calls} calls for ${records.length} cells (${oneCellCalls} if one cell per call), ` +
      `${perCall.toFixed(1)} images per call`,
  );
  assert.ok(perCall > SQUARE_CANDIDATES, `${what}: ${perCall.toFixed(1)} images per call`);
}

Deno.test({
  ...opts,
  name: "deploy/slurm-array.sh runs shards whose cells share batches, as one machine's do",
  fn: async () => {
    await tinyModel("softmax");
    const dir = await scratch("deploy-slurm");
    const env = {
      SLURM_ARRAY_TASK_ID: "1",
      SLURM_ARRAY_TASK_COUNT: "2",
      SLURM_ARRAY_TASK_MIN: "0",
    };
    const command = await slurmCommand(dir, { ...env, CONFIG: "configs/all-digits.json" });
    assert.strictEqual(command[2], "configs/all-digits.json", "the script runs $CONFIG");
    const { records, segment } = await runShard(dir, command, env);
    assertBatched("slurm shard 2/2", records, segment);
  },
});

Deno.test({
  ...opts,
  name: "deploy/k8s-indexed-job.yaml runs shards whose cells share batches, as one machine's do",
  fn: async () => {
    await tinyModel("softmax");
    const dir = await scratch("deploy-k8s");
    const docs = parseAllDocuments(
      await Deno.readTextFile(`${PROJECT_ROOT}/deploy/k8s-indexed-job.yaml`),
    ).map((d) => d.toJSON());
    const container = docs.find((d) => d.metadata.name === "identikit-sweep").spec.template.spec
      .containers[0];
    const argv: string[] = [...container.command, ...(container.args ?? [])];
    assert.strictEqual(argv[0], "deno");
    const env: Record<string, string> = {};
    for (const e of container.env as { name: string; value: string }[]) env[e.name] = e.value;
    // The completion index Kubernetes sets: that of the fullest shard, whatever the sharding.
    const count = Number(env.IDENTIKIT_SHARD_COUNT);
    const cells = expandCells(parseConfig(SWEEP));
    const sizes = Array.from(
      { length: count },
      (_, index) => shardCells(cells, { index, count }).length,
    );
    env.JOB_COMPLETION_INDEX = String(sizes.indexOf(Math.max(...sizes)));
    const { records, segment } = await runShard(dir, argv.slice(1), env);
    assertBatched(`k8s shard ${Number(env.JOB_COMPLETION_INDEX) + 1}/${count}`, records, segment);
  },
});
