/**
 * deploy/slurm-array.sh on a real Slurm scheduler: an array of 4 shards and a dependent merge
 * job give the records of an unsharded run; a cancelled array element, requeued, still does.
 *
 * Needs a working Slurm (`deploy/slurm-local.sh` brings up a single-node one; .ci/run does).
 * Where there is none the tests are reported as ignored, with the reason in their names.
 */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { expandCells } from "../experiments/sweep/axes.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { type RunRecord } from "../experiments/store/records.ts";
import { shardCells } from "../experiments/sweep/shards.ts";
import { comparable, scratch } from "./_helpers.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SOURCES = [
  "cli",
  "common",
  "experiments",
  "infer",
  "train",
  "deploy",
  "deno.json",
  "deno.lock",
];
/** Per-task resources small enough for several tasks on a 2-core, few-GB node. */
const TASK = ["--cpus-per-task=1", "--mem=1G"];
const WAIT_MS = 300_000;

const CONFIGS = {
  // 12 cells, 1–5 per shard (shards go by cell key): seconds per task on the tiny CNN.
  quick: {
    name: "quick",
    model: "cnn",
    digits: [2, 5, 8],
    seeds: 4,
    masks: [30],
    target: 0.99,
    maxIterations: 30,
    patience: 15,
  },
  // 30 cells, ~8 per shard, each a few hundred steps: long enough to cancel a task mid-run.
  slow: {
    name: "slow",
    model: "cnn",
    digits: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    seeds: 3,
    masks: [60],
    target: 0.9999,
    maxIterations: 80,
    patience: 80,
  },
};

/** How many cells shard `index` (0-based) of 4 runs. */
function shardSize(config: Record<string, unknown>, index: number): number {
  return shardCells(expandCells(parseConfig(config)), { index, count: 4 }).length;
}

/** Why Slurm cannot be used here, or null when a node is ready for jobs. */
async function slurmUnavailable(): Promise<string | null> {
  try {
    const out = await new Deno.Command("sinfo", { args: ["-h", "-o", "%T"], stdin: "null" })
      .output();
    const text = new TextDecoder().decode(out.code === 0 ? out.stdout : out.stderr).trim();
    if (out.code !== 0) return `sinfo failed: ${text.split("\n")[0]}`;
    const states = text.split(/\s+/).filter(Boolean);
    if (!states.some((s) => /^(idle|mixed|allocated|completing)$/.test(s))) {
      return `no node ready for jobs (sinfo: ${states.join(", ") || "no nodes"})`;
    }
    return null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return "Slurm is not installed: run deploy/slurm-local.sh as root";
    }
    if (error instanceof Deno.errors.NotCapable) return "no permission to run sinfo";
    throw error;
  }
}

const UNAVAILABLE = await slurmUnavailable();
const skipped = UNAVAILABLE ? ` (skipped: ${UNAVAILABLE})` : "";

/** Runs a command to the end; its stdout, or an error with its stderr. */
async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    ...(cwd ? { cwd } : {}),
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  if (out.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}: ${text(out.stderr)}`);
  }
  return text(out.stdout);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until none of `jobs` is in the queue. Cancels them and fails after WAIT_MS, or at once
 * when a job waits on a dependency that can no longer be met (an earlier job failed).
 */
async function waitGone(jobs: string[], logs: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const queued = await sh("squeue", ["-h", "-j", jobs.join(","), "-o", "%i %T %r"]);
    if (queued === "") return;
    const stuck = queued.includes("DependencyNeverSatisfied");
    if (stuck || Date.now() > deadline) {
      await sh("scancel", jobs).catch(() => {});
      throw new Error(
        `Slurm jobs ${jobs.join(", ")} ${
          stuck ? "wait on a dependency that failed" : `still queued after ${WAIT_MS / 1000} s`
        }:\n${queued}\n${await logTails(logs)}`,
      );
    }
    await sleep(500);
  }
}

/** The last lines of every job log in `dir`, for failure messages. */
async function logTails(dir: string): Promise<string> {
  const parts: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const text = await Deno.readTextFile(`${dir}/${entry.name}`);
    parts.push(`--- ${entry.name}\n${text.trim().split("\n").slice(-3).join("\n")}`);
  }
  return parts.join("\n");
}

/** A job's (or array element's) state, from scontrol. */
async function jobState(job: string): Promise<string> {
  const line = await sh("scontrol", ["show", "job", "-o", job]);
  return /JobState=(\S+)/.exec(line)?.[1] ?? "?";
}

/** The number of complete lines in a file (0 when it does not exist). */
async function lines(path: string): Promise<number> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").length - 1;
}

let checkout: Promise<string> | undefined;

/**
 * A copy of the project in tests/tmp (sources, deploy files, node_modules hard-linked) with the
 * tiny CNN as models/cnn.onnx and the test configs, as a cluster's shared checkout would be.
 */
function makeCheckout(): Promise<string> {
  checkout ??= (async () => {
    await tinyModel("cnn");
    const root = `${await scratch("slurm")}/checkout`;
    await Deno.mkdir(`${root}/models`, { recursive: true });
    await Deno.mkdir(`${root}/configs`);
    await Deno.mkdir(`${root}/logs`);
    for (const source of SOURCES) {
      await sh("cp", ["-r", `${PROJECT_ROOT}/${source}`, `${root}/${source}`]);
    }
    await sh("cp", ["-al", `${PROJECT_ROOT}/node_modules`, `${root}/node_modules`]);
    for (const file of ["cnn.onnx", "cnn.json"]) {
      await Deno.copyFile(`${TEST_MODELS_DIR}/${file}`, `${root}/models/${file}`);
    }
    for (const config of Object.values(CONFIGS)) {
      await Deno.writeTextFile(`${root}/configs/${config.name}.json`, JSON.stringify(config));
    }
    return root;
  })();
  return checkout;
}

/** The records of an unsharded run of `name` in the checkout, via the experiment task. */
async function unsharded(root: string, name: string): Promise<RunRecord[]> {
  await sh(
    "deno",
    ["task", "experiment", `configs/${name}.json`, "--results-dir", "results/ref"],
    root,
  );
  return (await readRecords(`${root}/results/ref/${name}/runs.jsonl`)).records;
}

/** Submits deploy/slurm-array.sh as an array of 4 shards of `name`; returns the job id. */
function submitArray(root: string, name: string): Promise<string> {
  return sh("sbatch", [
    "--parsable",
    "--array=0-3",
    ...TASK,
    `--export=ALL,CONFIG=configs/${name}.json`,
    `--chdir=${root}`,
    `--output=${root}/logs/${name}-%A_%a.log`,
    "deploy/slurm-array.sh",
  ]);
}

/** Submits the merge of `name` as a job, after `dependency` when given; returns its id. */
function submitMerge(root: string, name: string, dependency?: string): Promise<string> {
  return sh("sbatch", [
    "--parsable",
    ...TASK,
    ...(dependency ? [`--dependency=afterok:${dependency}`] : []),
    `--chdir=${root}`,
    `--output=${root}/logs/${name}-merge-%j.log`,
    "--wrap",
    `deno task merge results/${name}`,
  ]);
}

Deno.test({
  ...opts,
  ignore: UNAVAILABLE !== null,
  name:
    `Slurm: an array of 4 shards and a dependent merge job give the unsharded records${skipped}`,
  fn: async () => {
    const root = await makeCheckout();
    const reference = await unsharded(root, "quick");
    assert.strictEqual(reference.length, 12);
    const array = await submitArray(root, "quick");
    const merge = await submitMerge(root, "quick", array);
    await waitGone([array, merge], `${root}/logs`);
    assert.strictEqual(await jobState(merge), "COMPLETED");
    for (let i = 1; i <= 4; i++) {
      assert.strictEqual(
        await lines(`${root}/results/quick/runs.${i}-of-4.jsonl`),
        shardSize(CONFIGS.quick, i - 1),
      );
    }
    const merged = (await readRecords(`${root}/results/quick/runs.jsonl`)).records;
    assert.deepStrictEqual(comparable(merged), comparable(reference));
    const log = await Deno.readTextFile(`${root}/logs/quick-merge-${merge}.log`);
    assert.match(log, /Merged 12 cells from runs\.1-of-4\.jsonl, .*runs\.4-of-4\.jsonl/);
  },
});

Deno.test({
  ...opts,
  ignore: UNAVAILABLE !== null,
  name:
    `Slurm: an array element cancelled mid-run stops cleanly; requeued, it resumes and the merge equals the unsharded records${skipped}`,
  fn: async () => {
    const root = await makeCheckout();
    const reference = await unsharded(root, "slow");
    assert.strictEqual(reference.length, 30);
    const array = await submitArray(root, "slow");
    const element = `${array}_1`;
    const shardFile = `${root}/results/slow/runs.2-of-4.jsonl`;
    const size = shardSize(CONFIGS.slow, 1);
    assert.ok(size >= 3, `shard 2/4 has ${size} cells: too few to cancel one mid-run`);
    // Cancel element 1 (shard 2/4) once it has finished a cell or two.
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const state = await jobState(element);
      if (state === "RUNNING" && (await lines(shardFile)) >= 1) break;
      if (!["PENDING", "RUNNING", "CONFIGURING"].includes(state) || Date.now() > deadline) {
        await sh("scancel", [array]).catch(() => {});
        throw new Error(
          `array element ${element} is ${state} before it finished a cell:\n${await logTails(
            `${root}/logs`,
          )}`,
        );
      }
      await sleep(100);
    }
    await sh("scancel", [element]);
    await waitGone([array], `${root}/logs`);
    assert.strictEqual(await jobState(element), "CANCELLED");
    const before = await lines(shardFile);
    assert.ok(before >= 1 && before < size, `cancelled after ${before} of ${size} cells`);
    const log = await Deno.readTextFile(`${root}/logs/slow-${array}_1.log`);
    assert.match(log, /SIGTERM: stopping after the current step/);
    assert.match(log, /Interrupted: \d+ finished cell\(s\) are saved/);
    // A merge now names what is missing.
    const early = await submitMerge(root, "slow");
    await waitGone([early], `${root}/logs`);
    assert.strictEqual(await jobState(early), "FAILED");
    assert.match(
      await Deno.readTextFile(`${root}/logs/slow-merge-${early}.log`),
      new RegExp(`${size - before} cell\\(s\\) missing`),
    );

    // Requeue the element: the same array (same shard count), so it resumes its own shard.
    await sh("scontrol", ["requeue", element]);
    // Slurm holds a requeued job back for a while (BeginTime); let it start now.
    await sh("scontrol", ["update", `JobId=${element}`, "StartTime=now"]);
    await waitGone([array], `${root}/logs`);
    assert.strictEqual(await jobState(element), "COMPLETED");
    assert.match(
      await Deno.readTextFile(`${root}/logs/slow-${array}_1.log`),
      new RegExp(`Resumed: ${before} cell\\(s\\) were already done, ${size - before} ran now`),
    );
    const merge = await submitMerge(root, "slow");
    await waitGone([merge], `${root}/logs`);
    assert.strictEqual(await jobState(merge), "COMPLETED");
    const merged = (await readRecords(`${root}/results/slow/runs.jsonl`)).records;
    assert.strictEqual(new Set(merged.map((r) => r.cell)).size, 30);
    assert.deepStrictEqual(comparable(merged), comparable(reference));
  },
});
