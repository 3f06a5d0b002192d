/**
 * A results folder as a whole: its locks (one writer per records file, the folder lock of
 * preparation, merge and migrate) and its preparation for a run (config.json, --fresh).
 */

import { UsageError } from "../../common/errors.ts";
import { canonicalJson } from "../../common/canonical_json.ts";
import { exists, writeJsonAtomic } from "../../common/files.ts";
import {
  acquireLock,
  liveHolder,
  type Lock,
  LockedError,
  type LockHolder,
} from "../../common/lock.ts";
import { configHash, type ResolvedConfig, searchHash } from "../sweep/config.ts";
import type { Shard } from "../sweep/shards.ts";
import { recordsFile } from "./records.ts";
import { isShardRecordsFile } from "./records_io.ts";
import { readStoredConfig, RESULTS_FORMAT } from "./results_format.ts";

const LOCK_SUFFIX = ".lock";

/** The lock file a records file's writer holds while it appends (see `acquireLock`). */
export function lockFile(records: string): string {
  return records + LOCK_SUFFIX;
}

/**
 * The lock on a whole results folder, held for a moment by each run while it prepares the folder
 * (config.json, and --fresh's deletions), and for as long as they take by `merge` and `migrate`,
 * which rewrite records that runs append to. A run already past its preparation holds its
 * records file's lock, which those commands check under the folder lock; a run not yet past it
 * must wait for the folder lock. So neither can pull the folder from under the other.
 */
export const FOLDER_LOCK = "folder.lock";

/**
 * Takes `dir`'s folder lock for `what` (e.g. "merge"), waiting up to `waitMs` for another
 * holder, then checks that no run is writing records into it (unless `writers` is "allowed");
 * refuses with exit 2 naming the holder (host, pid) otherwise.
 */
export async function lockFolder(
  dir: string,
  what: string,
  { waitMs = 0, writers = "refused", own }: {
    waitMs?: number;
    writers?: "refused" | "allowed";
    /** The records file of the caller itself (not counted as another writer). */
    own?: string;
  } = {},
): Promise<Lock> {
  const lock = await acquireLock(`${dir}/${FOLDER_LOCK}`, {
    waitMs,
    hint:
      `Another process is changing ${dir} (a run preparing it, a merge or a migration). Wait for it to finish and try again.`,
  });
  if (writers === "allowed") return lock;
  try {
    const other = (await liveWriters(dir)).find((w) => w.records !== own);
    if (other) {
      throw new LockedError(
        `${dir}/${lockFile(other.records)}`,
        other.holder,
        `${what} rewrites records that this run appends to: wait for it to finish (or stop it), then ${what} again.`,
      );
    }
    return lock;
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** The records files in `dir` whose writer is running now (its lock held), and who holds it. */
export async function liveWriters(
  dir: string,
): Promise<{ records: string; holder: LockHolder }[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(`.jsonl${LOCK_SUFFIX}`)) names.push(entry.name);
  }
  // All at once: a lock left by a dead holder on another host takes its staleness to judge.
  const holders = await Promise.all(names.map((name) => liveHolder(`${dir}/${name}`)));
  return names.flatMap((name, i) => {
    const holder = holders[i];
    return holder ? [{ records: name.slice(0, -LOCK_SUFFIX.length), holder }] : [];
  }).sort((a, b) => a.records.localeCompare(b.records));
}

/** Everything a run and its report write (besides config.json, rewritten anyway). */
const GENERATED = [
  "runs.jsonl",
  "summary.json",
  "report.md",
  "grid.png",
  "stalls.png",
  "images",
  "baseline.json",
  "model.json",
  "reference.json",
  "figures.json",
];

/**
 * Prepares `resultsDir` for `config`: a first run writes `config.json`; a later run with a
 * different search (target, stop rules, provider, model…) is refused unless `fresh`; changed sweep
 * axes (more seeds, other digits) are allowed: old cells stay valid, new ones run.
 */
export async function prepareResults(
  resultsDir: string,
  config: ResolvedConfig,
  options: {
    modelSha256: string;
    otherModels?: Record<string, string>;
    fresh?: boolean;
    log?: (line: string) => void;
  },
): Promise<string> {
  const hash = await searchHash(config, options.modelSha256, options.otherModels);
  const configPath = `${resultsDir}/config.json`;
  if (await exists(configPath)) {
    let previous: { searchHash?: string } & Record<string, unknown>;
    try {
      previous = { ...(await readStoredConfig(configPath)).config };
    } catch (error) {
      // A folder this version cannot read is never resumed into; --fresh starts it over.
      if (!options.fresh) throw error;
      previous = {};
    }
    if (previous.searchHash !== hash) {
      if (!options.fresh) {
        const changed = searchChanges(previous, {
          ...config,
          modelSha256: options.modelSha256,
          ...(options.otherModels ? { otherModels: options.otherModels } : {}),
        });
        throw new UsageError(
          `Cannot resume ${resultsDir}: its results were made with another search (${
            changed.length > 0 ? changed.join("; ") : "its search hash differs"
          })`,
          {
            hint:
              'Re-run with --fresh to delete those results and start over, or give the config another "name".',
          },
        );
      }
    }
    if (options.fresh) {
      options.log?.(`--fresh: deleting the earlier results in ${resultsDir}`);
      for await (const entry of Deno.readDir(resultsDir)) {
        if (
          GENERATED.includes(entry.name) || isShardRecordsFile(entry.name) ||
          entry.name.endsWith(".svg") || entry.name.startsWith("segments")
        ) {
          await Deno.remove(`${resultsDir}/${entry.name}`, { recursive: true });
        }
      }
    }
  }
  await Deno.mkdir(`${resultsDir}/images`, { recursive: true });
  await writeJsonAtomic(configPath, {
    format: RESULTS_FORMAT,
    ...config,
    hash: await configHash(config),
    searchHash: hash,
    modelSha256: options.modelSha256,
    ...(options.otherModels ? { otherModels: options.otherModels } : {}),
  });
  return hash;
}

/** Fields of a stored config that are sweep axes or labels: they may change on a resume. */
const NOT_SEARCH = new Set([
  "digits",
  "seeds",
  "masks",
  "perturbations",
  "strategies",
  "objectives",
  "description",
  "name",
  "sha256",
  "format",
  "hash",
  "searchHash",
]);

/**
 * What differs between the search a results folder was made with and `now`: one line per field,
 * with both values (hashes shortened), in the fields' order.
 */
export function searchChanges(
  previous: Record<string, unknown>,
  now: Record<string, unknown>,
): string[] {
  const shown = (v: unknown) => {
    if (v === undefined) return "unset";
    const text = typeof v === "string" && /^[0-9a-f]{64}$/.test(v)
      ? `${v.slice(0, 12)}…`
      : JSON.stringify(v);
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  };
  const changes = (a: Record<string, unknown>, b: Record<string, unknown>, prefix: string) => {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
      .filter((k) => prefix !== "" || !NOT_SEARCH.has(k));
    return keys.filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));
  };
  return changes(previous, now, "").flatMap((k) => {
    const [a, b] = [previous[k], now[k]];
    // The other models' hashes: which model changed, not two lists cut at 80 characters.
    if (k === "otherModels" && (a ?? {}) instanceof Object && (b ?? {}) instanceof Object) {
      const [x, y] = [(a ?? {}) as Record<string, unknown>, (b ?? {}) as Record<string, unknown>];
      return changes(x, y, k).map((m) => `"${k}.${m}" was ${shown(x[m])}, now ${shown(y[m])}`);
    }
    return [`"${k}" was ${shown(a)}, now ${shown(b)}`];
  });
}

/**
 * Takes the lock of the records file a run appends to (of `shard`, or of the whole sweep): one
 * writer per records file, since a second process appending would interleave lines.
 */
export async function lockRecords(
  dir: string,
  shard: Shard | undefined,
  log?: (line: string) => void,
): Promise<Lock> {
  const file = `${dir}/${recordsFile(shard)}`;
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireLock(lockFile(file), {
    hint: shard
      ? `Another process is running shard ${
        shard.index + 1
      }/${shard.count} of this sweep into ${dir}. ` +
        "Wait for it to finish (a run that died releases its lock by itself), or check that each task got its own shard: " +
        "without --allow-env the scheduler's variables are not read and every task runs the whole sweep."
      : `Another process is running this sweep into ${dir}. Wait for it to finish (a run that died releases ` +
        "its lock by itself); to run several processes at once, give each a shard (--shard i/n) and merge.",
  });
  if (lock.tookOver) {
    log?.(
      `Took over ${
        lockFile(file)
      } from pid ${lock.tookOver.pid} on ${lock.tookOver.host}: that run is gone`,
    );
  }
  return lock;
}

/** How long a run waits for a folder lock held by another run's preparation or a merge. */
const FOLDER_WAIT_MS = 30_000;

/**
 * {@linkcode prepareResults} under the folder lock: no merge or migration rewrites the folder
 * meanwhile, and --fresh deletes nothing that another run writes. Returns the search hash.
 */
export async function prepareLocked(
  dir: string,
  config: ResolvedConfig,
  options: Parameters<typeof prepareResults>[2] & { shard?: Shard },
): Promise<string> {
  const folder = await lockFolder(dir, "--fresh", {
    waitMs: FOLDER_WAIT_MS,
    writers: options.fresh ? "refused" : "allowed",
    own: recordsFile(options.shard),
  }).catch((error) => {
    if (!(error instanceof LockedError) || !error.path.endsWith(".jsonl.lock")) throw error;
    throw new UsageError(
      `--fresh would delete results that another run is writing: ${
        error.path.slice(0, -LOCK_SUFFIX.length)
      } (pid ${error.holder?.pid} on host ${error.holder?.host})`,
      { hint: "Wait for that run to finish or stop it, then start over with --fresh." },
    );
  });
  try {
    return await prepareResults(dir, config, options);
  } finally {
    await folder.release();
  }
}
