/** Runs a script with the permissions its deno.json task grants (optionally some swapped). */

import { PROJECT_ROOT } from "../common/files.ts";

/** The `--allow-…` flags of a task's command in deno.json. */
export async function taskFlags(task: string): Promise<string[]> {
  const deno = JSON.parse(await Deno.readTextFile(`${PROJECT_ROOT}/deno.json`));
  const command: string = deno.tasks[task].command;
  return command.split(" ").filter((w) => w.startsWith("--allow-"));
}

/**
 * Runs `deno run <the task's flags> script args` in the project root; `replace` swaps one flag
 * for another (a test writes under tests/tmp, not docs/).
 */
export async function runTask(
  task: string,
  script: string,
  args: string[],
  replace: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const flags = (await taskFlags(task)).map((f) => replace[f] ?? f);
  const out = await new Deno.Command("deno", {
    args: ["run", ...flags, script, ...args],
    cwd: PROJECT_ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
