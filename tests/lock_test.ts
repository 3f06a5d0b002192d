/** The records lock: one writer per records file, dead holders taken over, other hosts trusted. */

import assert from "node:assert/strict";
import { exists, PROJECT_ROOT } from "../common/files.ts";
import { acquireLock, liveHolder, LockedError } from "../common/lock.ts";
import { parseConfig } from "../experiments/sweep/config.ts";
import { readRecords } from "../experiments/store/records_io.ts";
import { runExperiment } from "../experiments/scheduler/runner.ts";
import { fakeScorer } from "./_fake_scorer.ts";
import { scratch } from "./_helpers.ts";
import { CLI_FLAGS, runCli, spawnCli } from "./_cli.ts";
import { TEST_MODELS_DIR, tinyModel } from "./_models.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const me = { host: "here", pid: 4242 };

Deno.test("acquireLock(): a second taker is refused with the holder's host and pid", async () => {
  const dir = await scratch("lock-basic");
  const path = `${dir}/runs.jsonl.lock`;
  const first = await acquireLock(path, { self: me });
  assert.strictEqual(first.tookOver, undefined);
  const holder = JSON.parse(await Deno.readTextFile(path));
  assert.deepStrictEqual([holder.host, holder.pid], ["here", 4242]);
  await assert.rejects(acquireLock(path, { self: { host: "here", pid: 1 } }), (error) => {
    assert.ok(error instanceof LockedError);
    assert.match(
      error.message,
      /runs\.jsonl\.lock is held by another run \(pid 4242 on host here, since /,
    );
    return true;
  });
  assert.deepStrictEqual((await liveHolder(path))?.pid, 4242);
  await first.release();
  await first.release(); // idempotent
  assert.ok(!(await exists(path)), "release removes the lock file");
  assert.strictEqual(await liveHolder(path), null);
  const again = await acquireLock(path, { self: me });
  await again.release();
});

Deno.test("acquireLock(): a dead holder's file is taken over; another host's is trusted while it beats", async () => {
  const dir = await scratch("lock-stale");
  const path = `${dir}/runs.jsonl.lock`;
  const now = new Date().toISOString();
  // Same host, no OS lock held: the process that wrote it is gone.
  await Deno.writeTextFile(
    path,
    JSON.stringify({ host: "here", pid: 99, since: now, heartbeat: now }),
  );
  const taken = await acquireLock(path, { self: me });
  assert.strictEqual(taken.tookOver?.pid, 99);
  await taken.release();
  // Another host that beats: its OS lock may not reach us, so it is believed, even when its
  // clock is 10 minutes behind ours (its heartbeat's time is never compared with our clock).
  const behind = Date.now() - 600_000;
  let beat = 0;
  const write = () =>
    Deno.writeTextFileSync(
      path,
      JSON.stringify({
        host: "node7",
        pid: 1,
        since: new Date(behind).toISOString(),
        heartbeat: new Date(behind + beat * 50).toISOString(),
        beat: beat++,
      }),
    );
  write();
  const beating = setInterval(write, 50);
  try {
    await assert.rejects(acquireLock(path, { self: me, staleMs: 1_000 }), {
      name: "LockedError",
      message: /held by another run \(pid 1 on host node7, since /,
    });
  } finally {
    clearInterval(beating);
  }
  // Another host that stopped beating is gone once its file has stood still for staleMs, even
  // when its clock is 10 minutes ahead of ours (its last heartbeat lies in our future).
  const ahead = new Date(Date.now() + 600_000).toISOString();
  await Deno.writeTextFile(
    path,
    JSON.stringify({ host: "node7", pid: 1, since: ahead, heartbeat: ahead, beat: 3 }),
  );
  const started = performance.now();
  const late = await acquireLock(path, { self: me, staleMs: 300 });
  assert.ok(performance.now() - started >= 300, "watched the file for staleMs first");
  assert.strictEqual(late.tookOver?.host, "node7");
  await late.release();
});

Deno.test("a holder taken over while it stalled neither overwrites nor removes the new holder's file", async () => {
  const dir = await scratch("lock-lost");
  const path = `${dir}/runs.jsonl.lock`;
  const lock = await acquireLock(path, { self: me, heartbeatMs: 20 });
  // A process on another host found our file standing still and took the lock over.
  const now = new Date().toISOString();
  const taker = JSON.stringify({ host: "node9", pid: 5, since: now, heartbeat: now, beat: 0 });
  await Deno.writeTextFile(path, taker);
  await new Promise((r) => setTimeout(r, 120));
  assert.strictEqual(await Deno.readTextFile(path), taker, "our heartbeat overwrote the taker's");
  assert.deepStrictEqual([lock.lostTo()?.host, lock.lostTo()?.pid], ["node9", 5]);
  await lock.release();
  assert.strictEqual(await Deno.readTextFile(path), taker, "release removed the taker's file");
});

Deno.test("without the host name, a holder's file is watched before it is taken over", async () => {
  const dir = await scratch("lock-unknown-host");
  const path = `${dir}/runs.jsonl.lock`;
  const now = new Date().toISOString();
  let beat = 0;
  const write = () =>
    Deno.writeTextFileSync(
      path,
      JSON.stringify({ host: "unknown-host", pid: 2, since: now, heartbeat: now, beat: beat++ }),
    );
  write();
  const beating = setInterval(write, 50);
  try {
    // Every host says "unknown-host" then: this holder may be elsewhere, and it beats.
    await assert.rejects(
      acquireLock(path, { self: { host: "unknown-host", pid: 1 }, staleMs: 1_000 }),
      { name: "LockedError" },
    );
  } finally {
    clearInterval(beating);
  }
});

Deno.test("acquireLock() with waitMs takes a lock once its holder lets go, and refuses after waitMs", async () => {
  const dir = await scratch("lock-wait");
  const path = `${dir}/folder.lock`;
  const first = await acquireLock(path, { self: me });
  await assert.rejects(acquireLock(path, { self: { host: "here", pid: 2 }, waitMs: 200 }), {
    name: "LockedError",
  });
  setTimeout(() => first.release(), 150);
  const second = await acquireLock(path, { self: { host: "here", pid: 2 }, waitMs: 5_000 });
  assert.strictEqual(JSON.parse(await Deno.readTextFile(path)).pid, 2);
  await second.release();
});

Deno.test("acquireLock(): the holder's heartbeat is rewritten while it holds the lock", async () => {
  const dir = await scratch("lock-heartbeat");
  const path = `${dir}/runs.jsonl.lock`;
  const lock = await acquireLock(path, { self: me, heartbeatMs: 20 });
  const first = JSON.parse(await Deno.readTextFile(path));
  await new Promise((r) => setTimeout(r, 120));
  const later = JSON.parse(await Deno.readTextFile(path));
  assert.strictEqual(later.since, first.since);
  assert.ok(Date.parse(later.heartbeat) > Date.parse(first.heartbeat), "heartbeat moved on");
  await lock.release();
});

Deno.test("runExperiment() refuses a records file another run holds, and --fresh refuses to delete it", async () => {
  const dir = await scratch("lock-runner");
  const config = parseConfig({ name: "l", digits: [3], seeds: 2, masks: [20], target: 0.5 });
  const other = await acquireLock(`${dir}/runs.jsonl.lock`, { self: { host: "h", pid: 7 } });
  await assert.rejects(
    runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m" }),
    { name: "LockedError", message: /runs\.jsonl\.lock is held by another run \(pid 7 on host h/ },
  );
  assert.strictEqual((await readRecords(`${dir}/runs.jsonl`)).records.length, 0);
  await other.release();
  // A shard at work: an unsharded --fresh run must not delete its records.
  const shard = await acquireLock(`${dir}/runs.2-of-2.jsonl.lock`, { self: { host: "h", pid: 8 } });
  await Deno.writeTextFile(`${dir}/runs.2-of-2.jsonl`, "");
  await assert.rejects(
    runExperiment(config, { resultsDir: dir, score: fakeScorer(), modelSha256: "m", fresh: true }),
    {
      name: "UsageError",
      message:
        /--fresh would delete results that another run is writing: .*runs\.2-of-2\.jsonl \(pid 8 on host h\)/,
    },
  );
  assert.ok(await exists(`${dir}/runs.2-of-2.jsonl`));
  await shard.release();
  const done = await runExperiment(config, {
    resultsDir: dir,
    score: fakeScorer(),
    modelSha256: "m",
  });
  assert.strictEqual(done.ran, 2);
  assert.ok(!(await exists(`${dir}/runs.jsonl.lock`)));
});

Deno.test({
  ...opts,
  name: "a second process on a records file in use exits 2 naming the holder, and writes nothing",
  fn: async () => {
    await tinyModel("softmax");
    const dir = await scratch("lock-cli");
    const config = `${dir}/twice.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ name: "twice", model: "softmax", digits: [1, 7], seeds: 2, masks: [20] }),
    );
    const args = [config, "--models-dir", TEST_MODELS_DIR, "--results-dir", dir];
    // This test process is the first writer: it holds the lock as a running sweep would.
    await Deno.mkdir(`${dir}/twice`, { recursive: true });
    const held = await acquireLock(`${dir}/twice/runs.jsonl.lock`);
    const second = await spawnCli("cli/experiment.ts", args).output();
    const stderr = new TextDecoder().decode(second.stderr);
    assert.strictEqual(second.code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(`runs\\.jsonl\\.lock is held by another run \\(pid ${Deno.pid} on host `),
    );
    assert.match(stderr, /HINT: Another process is running this sweep into/);
    assert.deepStrictEqual([...Deno.readDirSync(`${dir}/twice`)].map((e) => e.name), [
      "runs.jsonl.lock",
    ]);
    await held.release();
    const first = await runCli("cli/experiment.ts", args);
    assert.strictEqual(first.code, 0, first.stderr);
    const { records } = await readRecords(`${dir}/twice/runs.jsonl`);
    assert.strictEqual(records.length, 4);
    assert.ok(
      !(await exists(`${dir}/twice/runs.jsonl.lock`)),
      "the lock file is gone after the run",
    );
  },
});

Deno.test({
  ...opts,
  name: "without the env permission the scheduler variables are named in one warning",
  fn: async () => {
    await tinyModel("softmax");
    const dir = await scratch("env-warning");
    const config = `${dir}/one.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        name: "one",
        model: "softmax",
        digits: [1],
        seeds: 1,
        masks: [10],
        maxIterations: 2,
      }),
    );
    const flags = CLI_FLAGS.filter((f) => !f.startsWith("--allow-env"));
    const out = await new Deno.Command("deno", {
      args: [
        "run",
        ...flags,
        "cli/experiment.ts",
        config,
        "--models-dir",
        TEST_MODELS_DIR,
        "--results-dir",
        dir,
      ],
      cwd: PROJECT_ROOT,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.strictEqual(out.code, 0, stderr);
    const warnings = stderr.split("\n").filter((l) => l.startsWith("warning:"));
    assert.deepStrictEqual(warnings.length, 1, stderr);
    assert.match(
      warnings[0],
      /environment access is not granted, so SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN, JOB_COMPLETION_INDEX, IDENTIKIT_SHARD_COUNT are not read: .*--allow-env=SLURM_ARRAY_TASK_ID,/,
    );
    // With the permission (as `deno task experiment` runs it) there is no warning.
    const granted = await runCli("cli/experiment.ts", [
      config,
      "--models-dir",
      TEST_MODELS_DIR,
      "--results-dir",
      dir,
    ]);
    assert.strictEqual(granted.code, 0, granted.stderr);
    assert.doesNotMatch(granted.stderr, /warning:/);
  },
});
