/**
 * `--help` on every task: exit 0, every flag with its meaning, and nothing read or written
 * besides. Flags reach a task only through parseFlags, which requires a description for each,
 * so the help lists every flag a task accepts; this checks that each task really answers.
 */

import assert from "node:assert/strict";
import { PROJECT_ROOT } from "../common/files.ts";

/** Names and modification times of everything under the folders a task could write. */
function snapshot(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = [...Deno.readDirSync(`${PROJECT_ROOT}/${dir}`)];
    } catch {
      return;
    }
    // A folder with a lock in it is being written by a live run elsewhere (a sweep, training).
    if (entries.some((e) => e.name.endsWith(".lock"))) return;
    for (const e of entries) {
      const path = `${dir}/${e.name}`;
      if (/\.ckpt/.test(path)) continue;
      if (e.isDirectory) walk(path);
      else out.push(`${path} ${Deno.statSync(`${PROJECT_ROOT}/${path}`).mtime?.getTime()}`);
    }
  };
  // setup:cuda would write its download under onnxruntime-node/bin.
  for (
    const dir of [
      "configs",
      "docs",
      "models",
      "results",
      "site",
      "node_modules/onnxruntime-node/bin",
    ]
  ) {
    walk(dir);
  }
  return out.sort();
}

const deno = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`));
/** The tasks of the project's own CLIs (test and ok run deno's). */
const TASKS = Object.keys(deno.tasks).filter((t) => t !== "test" && t !== "ok");

Deno.test({
  name: "every task's --help exits 0, lists its flags with their meaning, and changes nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    assert.ok(TASKS.length >= 15, `${TASKS.length} tasks`);
    const before = snapshot();
    for (const task of TASKS) {
      const out = await new Deno.Command("deno", {
        args: ["task", "--quiet", task, "--help"],
        cwd: PROJECT_ROOT,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.strictEqual(out.code, 0, `${task}: ${new TextDecoder().decode(out.stderr)}`);
      assert.match(stdout, /^Usage: deno task /m, task);
      assert.match(stdout, /\nFlags:\n/, task);
      assert.match(stdout, / {2}-h, --help +print this help and exit, doing nothing else/, task);
      // Each flag line has a meaning beside it (or on the next line, for a long flag).
      const flags = stdout.slice(stdout.indexOf("\nFlags:\n")).split("\n")
        .filter((l) => /^ {2}(-\w, )?--[a-z]/.test(l));
      for (const line of flags) {
        assert.match(line, /^ {2}\S.*\S {2,}\S|^ {2}\S+( \S+)?$/, `${task}: ${line}`);
      }
    }
    assert.deepStrictEqual(snapshot(), before, "nothing written");
  },
});

Deno.test("the experiment task's help names each of its flags, and with no config lists the configs", async () => {
  const run = (args: string[]) =>
    new Deno.Command("deno", {
      args: ["task", "--quiet", "experiment", ...args],
      cwd: PROJECT_ROOT,
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
  const help = new TextDecoder().decode((await run(["--help"])).stdout);
  for (
    const flag of [
      "--fresh",
      "--parallel K",
      "--shard i/n",
      "--results-dir DIR",
      "--models-dir DIR",
    ]
  ) {
    assert.ok(help.includes(`\n  ${flag} `), flag);
  }
  const none = await run([]);
  const stderr = new TextDecoder().decode(none.stderr);
  assert.strictEqual(none.code, 2);
  assert.match(stderr, /error: Missing the config file/);
  assert.match(
    stderr,
    /The configs in configs\/:\n {2}configs\/all-digits-judged\.json +configs\/all-digits\.json/,
  );
  assert.match(stderr, /\n {2}configs\/all-digits\.json +The experiment as the seed ran it\n/);
  assert.doesNotMatch(stderr, /schema\.json/);
});
