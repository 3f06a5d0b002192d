/** Describes the machine a measurement was taken on (CPU model, cores, OS, Deno). */

/** A one-line description such as "AMD EPYC 9B14, 2 cores, linux 6.1, Deno 2.9.6". */
export async function describeMachine(): Promise<string> {
  let cpu = "unknown CPU";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux, or no permission to read /proc: the core count still says something.
  }
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.osRelease()}, Deno ${Deno.version.deno}`;
}
