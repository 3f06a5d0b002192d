/** Describes the machine a measurement was taken on (CPU model, cores, OS, Deno). */

import os from "node:os";

/** A one-line description such as "AMD EPYC 9B14, 2 cores, linux 6.1, Deno 2.9.6". */
export function describeMachine(): string {
  let cpu = "unknown CPU";
  try {
    cpu = os.cpus()[0]?.model?.trim() || cpu;
  } catch {
    // Without --allow-sys=cpus the core count still says something.
  }
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${Deno.build.os} ${Deno.osRelease()}, Deno ${Deno.version.deno}`;
}
