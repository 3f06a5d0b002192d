/**
 * Migrates a results folder of an older format (1 or 2) to the current one: images renamed by
 * each record's whole identity, shard files regrouped by the cells' stable shards, config.json
 * marked with the new format. Records keep every field but `image`.
 */

import { UsageError } from "../../common/errors.ts";
import { exists, writeFileAtomic, writeJsonAtomic } from "../../common/files.ts";
import { cellKey } from "../sweep/axes.ts";
import { readStoredConfig, RESULTS_FORMAT } from "./results_format.ts";
import { imageFile, type RunRecord } from "./records.ts";
import { isShardRecordsFile, readRecords } from "./records_io.ts";
import { lockFolder } from "./folder.ts";
import { shardOf } from "../sweep/shards.ts";

/** What {@linkcode migrateResults} did. */
export interface Migration {
  /** The format the folder was in (the current one: nothing was done). */
  from: number;
  /** Records kept, with their images renamed. */
  kept: number;
  /**
   * Records dropped because their image had been overwritten by another record's run (their
   * cells run again on the next resume), with the file they were in.
   */
  dropped: { cell: string; file: string }[];
  /** Records moved to another shard file (old folders chose shards by index). */
  moved: number;
  /** Old image files deleted (renamed copies, and images no record owns). */
  removed: number;
}

const identity = (r: RunRecord) => `${cellKey(r)}\u0000${r.searchHash}`;

/**
 * Migrates `dir` in place under its folder lock (no run may be writing). Safe to run again after
 * an interruption: each file is replaced atomically, no record is ever in none of them, and
 * config.json is marked last.
 */
export async function migrateResults(dir: string): Promise<Migration> {
  const path = `${dir}/config.json`;
  const folder = await Deno.stat(dir).catch(() => null);
  if (!folder?.isDirectory || !(await exists(path))) {
    throw new UsageError(
      `${dir} is not an identikit results folder: ${
        folder === null
          ? "it does not exist"
          : folder.isDirectory
          ? "it has no config.json"
          : "it is not a folder"
      }`,
      { hint: "Pass results/<name>, a folder written by `deno task experiment`." },
    );
  }
  const lock = await lockFolder(dir, "migrate");
  try {
    const { config, format } = await readStoredConfig(path, { older: true });
    if (format === RESULTS_FORMAT) {
      return { from: format, kept: 0, dropped: [], moved: 0, removed: 0 };
    }
    const files = [...Deno.readDirSync(dir)].map((e) => e.name)
      .filter((name) => name === "runs.jsonl" || isShardRecordsFile(name))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    const read = new Map<string, RunRecord[]>();
    const tornImages = new Set<string>();
    for (const file of files) {
      // A torn last line is left out: its cell runs again. Its run had written its image first,
      // over the image of any earlier record of the same id, so that image has no owner now.
      const { records, torn } = await readRecords(`${dir}/${file}`, { skipTorn: true });
      read.set(file, records);
      if (torn) {
        const bytes = await Deno.readFile(`${dir}/${file}`);
        const tail = new TextDecoder().decode(bytes.subarray(bytes.lastIndexOf(0x0a) + 1));
        const id = /^\{"cell":"([^"]+)"/.exec(tail)?.[1];
        if (id) tornImages.add(`images/${id}.png`);
      }
    }
    const owners = imageOwners(read);
    for (const image of tornImages) owners.set(image, null);
    const dropped: Migration["dropped"] = [];
    const kept = new Map<string, RunRecord[]>();
    const renames = new Map<string, string>();
    for (const [file, records] of read) {
      const keep: RunRecord[] = [];
      for (const r of records) {
        if (owners.get(r.image) !== identity(r)) {
          dropped.push({ cell: r.cell, file });
          continue;
        }
        const image = await imageFile(r.cell, r, r.searchHash);
        renames.set(r.image, image);
        keep.push({ ...r, image });
      }
      kept.set(file, keep);
    }
    const { regrouped, moved } = regroupShards(kept);
    for (const [from, to] of renames) {
      if (from !== to && await exists(`${dir}/${from}`)) {
        await Deno.copyFile(`${dir}/${from}`, `${dir}/${to}`);
      }
    }
    // Two passes, each file replaced atomically, so that an interruption loses no record: first
    // every file gains the records moving into it (a moved record is then in two files, which a
    // second migration or a merge keeps once), then each file gives up the ones that moved out.
    const lines = (records: RunRecord[]) => records.map((r) => JSON.stringify(r) + "\n").join("");
    for (const [file, records] of regrouped) {
      const staying = new Set(records.map(identity));
      const leaving = (kept.get(file) ?? []).filter((r) => !staying.has(identity(r)));
      await writeFileAtomic(`${dir}/${file}`, lines([...records, ...leaving]));
    }
    for (const [file, records] of regrouped) {
      await writeFileAtomic(`${dir}/${file}`, lines(records));
    }
    await writeJsonAtomic(path, { ...config, format: RESULTS_FORMAT });
    const wanted = new Set(renames.values());
    let removed = 0;
    const images = (await exists(`${dir}/images`)) ? [...Deno.readDirSync(`${dir}/images`)] : [];
    for (const entry of images) {
      const name = `images/${entry.name}`;
      if (entry.isFile && entry.name.endsWith(".png") && !wanted.has(name)) {
        await Deno.remove(`${dir}/${name}`);
        removed++;
      }
    }
    const count = [...regrouped.values()].reduce((n, rs) => n + rs.length, 0);
    return { from: format, kept: count, dropped, moved, removed };
  } finally {
    await lock.release();
  }
}

/**
 * Which record owns each old image: the one whose run wrote it last. A run writes a cell's image
 * just before appending its record, so within one file the last line naming an image is its
 * owner. An image named by records of different cells in different files has no owner that can
 * be told: none keeps it.
 */
function imageOwners(read: Map<string, RunRecord[]>): Map<string, string | null> {
  const refs = new Map<string, { file: string; identity: string }[]>();
  for (const [file, records] of read) {
    for (const r of records) {
      const list = refs.get(r.image) ?? [];
      list.push({ file, identity: identity(r) });
      refs.set(r.image, list);
    }
  }
  const owners = new Map<string, string | null>();
  for (const [image, list] of refs) {
    const ids = new Set(list.map((l) => l.identity));
    const oneFile = new Set(list.map((l) => l.file)).size === 1;
    owners.set(image, ids.size === 1 || oneFile ? list[list.length - 1].identity : null);
  }
  return owners;
}

/**
 * Puts each shard file's records into the file of the shard that now runs their cell
 * (`shardOf`), so that a resumed shard finds its cells done. Shards of each count are regrouped
 * among themselves; a cell found in two files is kept once.
 */
function regroupShards(
  kept: Map<string, RunRecord[]>,
): { regrouped: Map<string, RunRecord[]>; moved: number } {
  const regrouped = new Map<string, RunRecord[]>();
  const seen = new Set<string>();
  let moved = 0;
  for (const [file, records] of kept) {
    const m = /^runs\.(\d+)-of-(\d+)\.jsonl$/.exec(file);
    if (!m) {
      regrouped.set(file, records);
      continue;
    }
    const count = Number(m[2]);
    if (!regrouped.has(file)) regrouped.set(file, []);
    for (const r of records) {
      const target = `runs.${shardOf(r, count) + 1}-of-${count}.jsonl`;
      if (seen.has(`${target}\u0000${identity(r)}`)) continue;
      seen.add(`${target}\u0000${identity(r)}`);
      if (target !== file) moved++;
      const list = regrouped.get(target) ?? [];
      list.push(r);
      regrouped.set(target, list);
    }
  }
  return { regrouped, moved };
}
