/** Sharded sweeps in real subprocesses, merge checks, cross-run batching, deploy recipes. */

import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { UsageError } from "../common/errors.ts";
import { exists, PROJECT_ROOT } from "../common/files.ts";
import { acquireLock } from "../common/lock.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { parseShard, SHARD_ENV, shardFromEnv } from "../experiments/sweep/shards.ts";
import { comparable, scratch } from "./_helpers.ts";
import { runCli, spawnCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONFIG = {
  name: "sharded",
  model: "cnn",
  digits: [2, 5, 8],
  seeds: 2,
  masks: [30],
  target: 0.99,
  maxIterations: 30,
  patience: 15,
};

/** A scratch folder with CONFIG written in it, and a way to run the experiment on it. */
async function shardedSweep(name: string) {
  await tinyModel("cnn");
  const dir = await scratch(name);
  const config = `${dir}/sharded.json`;
  await Deno.writeTextFile(config, JSON.stringify(CONFIG));
  const run = (resultsDir: string, extra: string[] = [], env: Record<string, string> = {}) =>
    runCli("cli/experiment.ts", [
      config,
      "--models-dir",
      TEST_MODELS_DIR,
      "--results-dir",
      resultsDir,
      ...extra,
    ], env);
  return { dir, run };
}

Deno.test("shardFromEnv() reads Slurm arrays and Kubernetes Indexed Jobs", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.strictEqual(shardFromEnv(env({})), undefined);
  assert.deepStrictEqual(
    shardFromEnv(
      env({ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4", SLURM_ARRAY_TASK_MIN: "1" }),
    ),
    { index: 2, count: 4 },
  );
  assert.deepStrictEqual(
    shardFromEnv(env({ SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "16" })),
    { index: 0, count: 16 },
  );
  assert.deepStrictEqual(
    shardFromEnv(env({ JOB_COMPLETION_INDEX: "7", IDENTIKIT_SHARD_COUNT: "8" })),
    { index: 7, count: 8 },
  );
  assert.throws(() => shardFromEnv(env({ JOB_COMPLETION_INDEX: "7" })), {
    name: "UsageError",
    message: "JOB_COMPLETION_INDEX is set but IDENTIKIT_SHARD_COUNT is not",
  });
  assert.throws(
    () => shardFromEnv(env({ JOB_COMPLETION_INDEX: "8", IDENTIKIT_SHARD_COUNT: "8" })),
    {
      name: "UsageError",
      message: "Shard index 8 from the environment is outside 0…7",
    },
  );
  assert.throws(
    () => shardFromEnv(env({ SLURM_ARRAY_TASK_ID: "x", SLURM_ARRAY_TASK_COUNT: "2" })),
    UsageError,
  );
  assert.deepStrictEqual(parseShard("2/3"), { index: 1, count: 3 });
});

Deno.test("the experiment task may read exactly the scheduler variables, and no others", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`)).tasks;
  const flag = (tasks.experiment.command as string).split(" ").find((a) =>
    a.startsWith("--allow-env=")
  );
  assert.deepStrictEqual(flag?.slice("--allow-env=".length).split(","), [...SHARD_ENV]);
});

Deno.test({
  ...opts,
  name: "2 and 3 shards in real subprocesses merge to exactly the unsharded records",
  fn: async () => {
    const { dir, run } = await shardedSweep("shards");

    const whole = await run(`${dir}/whole`);
    assert.strictEqual(whole.code, 0, whole.stderr);
    const reference = comparable((await readRecords(`${dir}/whole/sharded/runs.jsonl`)).records);
    assert.strictEqual(reference.length, 6);

    // Two shards by flag, running at the same time.
    const two = await Promise.all([
      run(`${dir}/two`, ["--shard", "1/2"]),
      run(`${dir}/two`, ["--shard", "2/2"]),
    ]);
    for (const r of two) assert.strictEqual(r.code, 0, r.stderr);
    assert.match(two[0].stdout, /Shard 1\/2 done: \d cells in .*runs\.1-of-2\.jsonl/);
    // Three shards from a Slurm array's environment (task ids 1–3).
    const three = await Promise.all([1, 2, 3].map((id) =>
      run(`${dir}/three`, [], {
        SLURM_ARRAY_TASK_ID: String(id),
        SLURM_ARRAY_TASK_MIN: "1",
        SLURM_ARRAY_TASK_COUNT: "3",
      })
    ));
    for (const r of three) assert.strictEqual(r.code, 0, r.stderr);

    const early = await runCli("cli/report.ts", [`${dir}/two/sharded`]);
    assert.strictEqual(early.code, 2);
    assert.match(early.stderr, /Its runs are in shard files: merge them first/);
    for (const results of [`${dir}/two/sharded`, `${dir}/three/sharded`]) {
      const merged = await runCli("cli/merge.ts", [results, "--models-dir", TEST_MODELS_DIR]);
      assert.strictEqual(merged.code, 0, merged.stderr);
      assert.deepStrictEqual(
        comparable((await readRecords(`${results}/runs.jsonl`)).records),
        reference,
      );
    }
    assert.match(
      await Deno.readTextFile(`${dir}/three/sharded/report.md`),
      /\*\*\d+ of 6 runs\*\*/,
    );

    // Merge names what is wrong: a missing shard, a cell whose records disagree, another config.
    const broken = `${dir}/two/sharded`;
    const shard2 = await Deno.readTextFile(`${broken}/runs.2-of-2.jsonl`);
    const cells2 = shard2.split("\n").filter(Boolean).map((l) => JSON.parse(l).cell);
    await Deno.remove(`${broken}/runs.2-of-2.jsonl`);
    const missing = await runCli("cli/merge.ts", [broken]);
    assert.strictEqual(missing.code, 2);
    assert.match(
      missing.stderr,
      new RegExp(`${cells2.length} cell\\(s\\) missing: ${cells2.join(", ")}`),
    );
    // A cell in two shard files with equal records (timings aside) is merged once…
    const first1 = (await Deno.readTextFile(`${broken}/runs.1-of-2.jsonl`)).split("\n")[0];
    const again = { ...JSON.parse(first1), wallMs: 123456 };
    await Deno.writeTextFile(`${broken}/runs.2-of-2.jsonl`, shard2 + JSON.stringify(again) + "\n");
    const twice = await runCli("cli/merge.ts", [broken]);
    assert.strictEqual(twice.code, 0, twice.stderr);
    assert.deepStrictEqual(
      comparable((await readRecords(`${broken}/runs.jsonl`)).records),
      reference,
    );
    // …one whose records disagree is refused, naming the cell and both files.
    const other = { ...again, finalConfidence: again.finalConfidence / 2 };
    await Deno.writeTextFile(`${broken}/runs.2-of-2.jsonl`, shard2 + JSON.stringify(other) + "\n");
    const conflicting = await runCli("cli/merge.ts", [broken]);
    assert.strictEqual(conflicting.code, 2);
    assert.match(
      conflicting.stderr,
      new RegExp(
        `1 cell\\(s\\) with records that disagree: ${again.cell} \\(in runs\\.1-of-2\\.jsonl and runs\\.2-of-2\\.jsonl\\)`,
      ),
    );
    const foreign = shard2.replaceAll(
      /"searchHash":"[0-9a-f]+"/g,
      `"searchHash":"${"f".repeat(64)}"`,
    );
    await Deno.writeTextFile(`${broken}/runs.2-of-2.jsonl`, foreign);
    const mismatched = await runCli("cli/merge.ts", [broken]);
    assert.strictEqual(mismatched.code, 2);
    assert.match(
      mismatched.stderr,
      /runs\.2-of-2\.jsonl was made with a different config or model \(search hash ffffffffffff…/,
    );
  },
});

Deno.test({
  ...opts,
  name: "merge --wait waits for the folder, its config and a live shard's torn last line",
  fn: async () => {
    const { dir, run } = await shardedSweep("merge-wait");
    const shard = (resultsDir: string, which: string) => run(resultsDir, ["--shard", which]);
    // The reference: both shards, then a plain merge.
    for (const which of ["1/2", "2/2"]) {
      const r = await shard(`${dir}/ref`, which);
      assert.strictEqual(r.code, 0, r.stderr);
    }
    const plain = await runCli("cli/merge.ts", [`${dir}/ref/sharded`]);
    assert.strictEqual(plain.code, 0, plain.stderr);
    const reference = comparable((await readRecords(`${dir}/ref/sharded/runs.jsonl`)).records);
    const shard2 = await Deno.readTextFile(`${dir}/ref/sharded/runs.2-of-2.jsonl`);

    // Nothing exists yet when merge starts waiting (it polls every 2 s with --wait 40).
    const live = `${dir}/live/sharded`;
    const merge = spawnCli("cli/merge.ts", [live, "--wait", "40"]);
    const output = merge.output();
    let exited = false;
    output.then(() => exited = true);
    await delay(2500);
    assert.ok(!exited, "merge --wait exited before the folder existed");
    const first = await shard(`${dir}/live`, "1/2");
    assert.strictEqual(first.code, 0, first.stderr);
    // Shard 2 is "still writing": one whole record and half of the next.
    const lines = shard2.split("\n");
    const half = lines[1].slice(0, lines[1].length >> 1);
    // The shard's writer holds its records lock (here, this test process does) until it is done.
    const writer = await acquireLock(`${live}/runs.2-of-2.jsonl.lock`);
    await Deno.writeTextFile(`${live}/runs.2-of-2.jsonl`, `${lines[0]}\n${half}`);
    await delay(4500);
    assert.ok(!exited, "merge --wait exited on a live shard's torn last line");
    for (const line of lines.slice(0, -1)) {
      const image = JSON.parse(line).image;
      await Deno.copyFile(`${dir}/ref/sharded/${image}`, `${live}/${image}`);
    }
    await Deno.writeTextFile(`${live}/runs.2-of-2.jsonl`, shard2);
    // Every cell is in, but the writer has not let go (its segment line is still to come).
    await delay(4500);
    assert.ok(!exited, "merge --wait exited while a shard still held its lock");
    await writer.release();
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assert.strictEqual(out.code, 0, stderr);
    assert.match(stderr, /live\/sharded does not exist yet; checking every 2 s for up to 40 s/);
    assert.match(stderr, /2 cell\(s\) not finished yet \(runs\.2-of-2\.jsonl mid-write\)/);
    assert.match(stderr, /every cell is in; runs\.2-of-2\.jsonl still finishing/);
    assert.deepStrictEqual(
      comparable((await readRecords(`${live}/runs.jsonl`)).records),
      reference,
    );
  },
});

Deno.test({
  ...opts,
  name: "merge --wait gives up with exit 1 and says what it was waiting for",
  fn: async () => {
    const dir = await scratch("merge-timeout");
    const r = await runCli("cli/merge.ts", [`${dir}/never`, "--wait", "2"]);
    assert.strictEqual(r.code, 1);
    assert.match(
      r.stderr,
      /error: gave up waiting for .*never after 2 s: .*never does not exist yet/,
    );
    assert.match(r.stderr, /HINT: Check that the shards are running/);
    assert.ok(!(await exists(`${dir}/never`)));
  },
});

Deno.test({
  ...opts,
  name: "--parallel 4 gives records identical to --parallel 1",
  fn: async () => {
    await tinyModel("cnn");
    const dir = await scratch("parallel");
    const config = `${dir}/par.json`;
    await Deno.writeTextFile(config, JSON.stringify({ ...CONFIG, name: "par", seeds: 3 }));
    const results = [];
    for (const k of ["1", "4"]) {
      const r = await runCli("cli/experiment.ts", [
        config,
        "--models-dir",
        TEST_MODELS_DIR,
        "--results-dir",
        `${dir}/k${k}`,
        "--parallel",
        k,
      ]);
      assert.strictEqual(r.code, 0, r.stderr);
      results.push(comparable((await readRecords(`${dir}/k${k}/par/runs.jsonl`)).records));
    }
    assert.strictEqual(results[0].length, 9);
    assert.deepStrictEqual(results[1], results[0]);
  },
});

Deno.test("deploy/k8s-indexed-job.yaml is an Indexed batch/v1 Job on a shared volume, with a merge Job", async () => {
  const docs = parseAllDocuments(
    await Deno.readTextFile(`${PROJECT_ROOT}/deploy/k8s-indexed-job.yaml`),
  )
    .map((d) => {
      assert.deepStrictEqual(d.errors, []);
      return d.toJSON();
    });
  const sweep = docs.find((d) => d.metadata.name === "identikit-sweep");
  const merge = docs.find((d) => d.metadata.name === "identikit-merge");
  const pvc = docs.find((d) => d.kind === "PersistentVolumeClaim");
  assert.deepStrictEqual([sweep.apiVersion, sweep.kind, sweep.spec.completionMode], [
    "batch/v1",
    "Job",
    "Indexed",
  ]);
  const container = sweep.spec.template.spec.containers[0];
  const count =
    container.env.find((e: { name: string }) => e.name === "IDENTIKIT_SHARD_COUNT").value;
  assert.strictEqual(
    Number(count),
    sweep.spec.completions,
    "IDENTIKIT_SHARD_COUNT must equal completions",
  );
  assert.deepStrictEqual(container.command.slice(0, 3), ["deno", "task", "experiment"]);
  assert.deepStrictEqual(merge.spec.template.spec.containers[0].command.slice(0, 4), [
    "deno",
    "task",
    "merge",
    "results/all-digits",
  ]);
  for (const job of [sweep, merge]) {
    assert.strictEqual(
      job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName,
      pvc.metadata.name,
    );
    assert.strictEqual(
      job.spec.template.spec.containers[0].volumeMounts[0].mountPath,
      "/app/results",
    );
  }
  assert.deepStrictEqual(pvc.spec.accessModes, ["ReadWriteMany"]);
});

Deno.test("deploy/slurm-array.sh passes bash -n and is a job array running the experiment", async () => {
  const path = `${PROJECT_ROOT}/deploy/slurm-array.sh`;
  const check = await new Deno.Command("bash", { args: ["-n", path] }).output();
  assert.strictEqual(check.code, 0, new TextDecoder().decode(check.stderr));
  const text = await Deno.readTextFile(path);
  assert.match(text, /^#SBATCH --array=\d+-\d+$/m);
  assert.match(text, /deno task experiment "\$CONFIG"/);
  assert.match(
    text,
    /sbatch --dependency=afterok:"\$jid" --wrap "deno task merge results\/all-digits"/,
  );
});

Deno.test("deploy/slurm-local.sh passes bash -n, prints its usage, and refuses an unknown option", async () => {
  const path = `${PROJECT_ROOT}/deploy/slurm-local.sh`;
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("bash", { args: [path, ...args], stdin: "null" }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  };
  const check = await new Deno.Command("bash", { args: ["-n", path] }).output();
  assert.strictEqual(check.code, 0, new TextDecoder().decode(check.stderr));
  const help = await run("--help");
  assert.strictEqual(help.code, 0);
  assert.match(help.stdout, /^Usage: slurm-local\.sh \[--force\] \| --down \| --help/);
  const bad = await run("--bogus");
  assert.strictEqual(bad.code, 2);
  assert.match(bad.stderr, /Usage: slurm-local\.sh/);
});
