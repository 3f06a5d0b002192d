/** Runs identikit commands as real subprocesses, with the same permissions the tasks grant. */

import { PROJECT_ROOT } from "../common/files.ts";
import { SHARD_ENV } from "../experiments/sweep/shards.ts";

/** Permissions of `deno task experiment`/`report`, writing under tests/tmp instead. */
export const CLI_FLAGS = [
  "--allow-read=.",
  "--allow-write=tests/tmp",
  "--allow-ffi=./node_modules",
  "--allow-sys=osRelease,hostname",
  `--allow-env=${SHARD_ENV.join(",")}`,
];

/** Starts `deno run <flags> <script> <args>` in the project root, output piped. */
export function spawnCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Deno.ChildProcess {
  // "deno" from PATH: `--allow-run=deno` grants exactly that (execPath may be a resolved symlink).
  return new Deno.Command("deno", {
    args: ["run", ...CLI_FLAGS, script, ...args],
    cwd: PROJECT_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
}

/** Runs a command to the end. */
export async function runCli(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await spawnCli(script, args, env).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
