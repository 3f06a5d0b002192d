/**
 * An exclusive lock beside a file that one process appends to (a results folder's records), or
 * on a whole results folder.
 *
 * Two layers, because results folders live on shared volumes: an OS file lock (flock) that the
 * kernel drops when the holder dies, so a killed run never blocks its own resume on the same
 * host; and the holder's host, pid and a heartbeat written into the lock file, so a process on
 * another host (where the volume may not carry flock) sees a live holder and refuses, while a
 * holder that stopped beating is taken over. Whether another host's holder still beats is
 * watched on this host's own clock: the heartbeat's time, written by the other host's clock, is
 * never compared with ours, so hosts whose clocks disagree cannot both hold the lock.
 */

import { UsageError } from "./errors.ts";

/** Who holds a lock, as written into the lock file. */
export interface LockHolder {
  host: string;
  pid: number;
  /** When the holder took the lock (ISO 8601). */
  since: string;
  /** When the holder last said it is alive (ISO 8601, the holder's clock: for people only). */
  heartbeat: string;
  /** How many times the holder has rewritten its heartbeat (what other hosts watch). */
  beat?: number;
}

/** A held lock. */
export interface Lock {
  /** The previous holder when it was taken over (it had died or stopped beating). */
  tookOver?: LockHolder;
  /**
   * Who took the lock over from us, when a process on another host found our heartbeat stopped
   * (this process stalled for longer than its staleness): from then on the lock is not ours, and
   * its holder must stop writing what it protected. Null while the lock is ours.
   */
  lostTo(): LockHolder | null;
  /** Releases the lock and removes the lock file. Idempotent. */
  release(): Promise<void>;
}

/** Thrown when another live process holds the lock: bad input (exit 2) with who holds it. */
export class LockedError extends UsageError {
  override name = "LockedError";
  constructor(readonly path: string, readonly holder: LockHolder | null, hint: string) {
    super(
      `${path} is held by another run${
        holder ? ` (pid ${holder.pid} on host ${holder.host}, since ${holder.since})` : ""
      }`,
      { hint },
    );
  }
}

/** What {@linkcode hostName} says where the permission to read the host name is not granted. */
export const UNKNOWN_HOST = "unknown-host";

/** This machine's name, or {@linkcode UNKNOWN_HOST} where the permission is not granted. */
export function hostName(): string {
  // Query first: calling without the permission would prompt in a terminal.
  if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
    return UNKNOWN_HOST;
  }
  return Deno.hostname();
}

/** Options for {@linkcode acquireLock}. */
export interface LockOptions {
  /** What the lock protects, for the refusal's hint. */
  hint?: string;
  /**
   * A holder on another host whose lock file does not change for this long, watched here, is
   * dead (default 35 s, three and a half heartbeats). Taking over such a lock waits this long.
   */
  staleMs?: number;
  /** How often the holder rewrites its heartbeat (default 10 s). */
  heartbeatMs?: number;
  /** Keep trying for this long while a live holder has the lock (default 0: refuse at once). */
  waitMs?: number;
  /** Who we are (tests pretend to be other hosts). */
  self?: { host: string; pid: number };
}

/**
 * Takes the lock at `path` or throws {@linkcode LockedError}. The lock file stays while held and
 * is removed on release; the OS lock goes with the process however it ends. With `waitMs`, a
 * held lock is tried again until that time has passed.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<Lock> {
  const deadline = performance.now() + (options.waitMs ?? 0);
  for (;;) {
    try {
      return await tryAcquire(path, options);
    } catch (error) {
      if (!(error instanceof LockedError) || performance.now() >= deadline) throw error;
      await sleep(Math.min(200, Math.max(1, deadline - performance.now())));
    }
  }
}

/**
 * The lock file at `path`, opened and OS-locked by this process (a LockedError when another
 * holds it): the very file that stands at `path`, not one a releasing holder just removed.
 */
async function openLocked(path: string, hint: string): Promise<Deno.FsFile> {
  for (let attempt = 0;; attempt++) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let same = false;
    try {
      if (!(await file.tryLock(true))) throw new LockedError(path, await readHolder(path), hint);
      // A releasing holder removes the file before it lets go: make sure ours is still the one
      // at `path`, or a third process could lock a new file there at the same time.
      const [mine, there] = [await file.stat(), await Deno.stat(path).catch(() => null)];
      same = there !== null && there.ino === mine.ino && there.dev === mine.dev;
    } finally {
      if (!same) file.close();
    }
    if (same) return file;
    if (attempt === 5) throw new LockedError(path, await readHolder(path), hint);
  }
}

async function tryAcquire(path: string, options: LockOptions): Promise<Lock> {
  const { staleMs = 35_000, heartbeatMs = 10_000 } = options;
  const self = options.self ?? { host: hostName(), pid: Deno.pid };
  const hint = options.hint ??
    "Wait for that run to finish, or stop it; a run that died releases its lock by itself.";
  const file = await openLocked(path, hint);
  let ok = false;
  try {
    const previous = await readHolder(path);
    // Without the permission to read the host name every host calls itself "unknown-host": such
    // a holder may be on another host, so it is watched like one.
    const elsewhere = previous !== null &&
      (previous.host !== self.host || self.host === UNKNOWN_HOST);
    if (elsewhere && await stillBeating(path, staleMs)) {
      // flock may not reach across hosts on a shared volume: a beating holder is alive.
      throw new LockedError(
        path,
        await readHolder(path) ?? previous,
        `${hint} (A holder on another host counts as gone when its lock file has not changed for ${
          Math.round(staleMs / 1000)
        } s.)`,
      );
    }
    const since = new Date().toISOString();
    let beat = 0;
    let lostTo: LockHolder | null = null;
    let stopBeating = () => {};
    const ours = (h: LockHolder | null) =>
      h !== null && h.host === self.host && h.pid === self.pid && h.since === since;
    const write = async () => {
      if (beat > 0) {
        // Taken over while we stalled: never overwrite the new holder's file.
        const now = await readHolder(path);
        if (!ours(now)) {
          lostTo = now ?? { host: "?", pid: 0, since: "?", heartbeat: "?" };
          stopBeating();
          return;
        }
      }
      const holder: LockHolder = {
        ...self,
        since,
        heartbeat: new Date().toISOString(),
        beat: beat++,
      };
      const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
      // Overwrite, then cut to length: a reader never sees the file empty.
      await file.seek(0, Deno.SeekMode.Start);
      let at = 0;
      while (at < bytes.length) at += await file.write(bytes.subarray(at));
      await file.truncate(bytes.length);
    };
    await write();
    let beating: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      beating = beating.then(write).catch(() => {/* a missed beat only ages the heartbeat */});
    }, heartbeatMs);
    Deno.unrefTimer(timer);
    stopBeating = () => clearInterval(timer);
    let released = false;
    ok = true;
    return {
      ...(previous ? { tookOver: previous } : {}),
      lostTo: () => lostTo,
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        await beating;
        // Only our own file: one taken over belongs to its new holder.
        if (lostTo === null && ours(await readHolder(path))) {
          await Deno.remove(path).catch(() => {/* already gone */});
        }
        file.close(); // closing drops the OS lock
      },
    };
  } finally {
    if (!ok) file.close();
  }
}

/**
 * Watches the lock file for up to `staleMs` of this host's time: true as soon as it changes (its
 * holder beats), false when it stays as it is (the holder is gone).
 */
async function stillBeating(path: string, staleMs: number): Promise<boolean> {
  const first = await Deno.readTextFile(path).catch(() => "");
  const until = performance.now() + staleMs;
  const poll = Math.max(1, Math.min(500, staleMs / 20));
  while (performance.now() < until) {
    await sleep(Math.min(poll, Math.max(0, until - performance.now())));
    if ((await Deno.readTextFile(path).catch(() => "")) !== first) return true;
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The live holder of the lock at `path`, or null when nobody holds it (no file, or a holder
 * that died), for checks such as "may I delete this folder?". It finds out by taking the lock
 * for an instant (removing a dead holder's file), so a writer starting at that very instant is
 * refused.
 */
export async function liveHolder(
  path: string,
  options: Pick<LockOptions, "staleMs" | "self"> = {},
): Promise<LockHolder | null> {
  try {
    const lock = await acquireLock(path, options);
    // Free, or its holder is gone: releasing removes the (stale) lock file.
    await lock.release();
    return null;
  } catch (error) {
    if (error instanceof LockedError) {
      return error.holder ?? { host: "?", pid: 0, since: "?", heartbeat: "?" };
    }
    throw error;
  }
}

/** The holder written in a lock file, or null when it is empty or unreadable. */
async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const holder = JSON.parse(await Deno.readTextFile(path));
    return typeof holder?.pid === "number" && typeof holder?.host === "string" ? holder : null;
  } catch {
    return null;
  }
}
