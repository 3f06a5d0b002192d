/** Tests of the file helpers: atomic writes that concurrent writers of one file survive. */

import assert from "node:assert/strict";
import { writeFileAtomic, writeJsonAtomic } from "../common/files.ts";
import { scratch } from "./_helpers.ts";

Deno.test("writeFileAtomic() survives many writers of the same file at once (one PID)", async () => {
  const dir = await scratch("files-atomic");
  const path = `${dir}/config.json`;
  // Like the shards of an Indexed Job, which share a PID and write the same config.json.
  const body = JSON.stringify({ name: "shared", seeds: Array.from({ length: 5000 }, (_, i) => i) });
  await Promise.all(Array.from({ length: 16 }, () => writeFileAtomic(path, body)));
  assert.strictEqual(await Deno.readTextFile(path), body);
  // Nothing is left behind: every temporary file was renamed into place.
  assert.deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["config.json"]);
});

Deno.test("writeFileAtomic() leaves the old file whole and no temporary file when a write fails", async () => {
  const dir = await scratch("files-atomic-fail");
  const path = `${dir}/model.json`;
  await writeJsonAtomic(path, { ok: true });
  await Deno.mkdir(`${dir}/sub`);
  // Renaming onto a non-empty folder fails after the temporary file was written.
  await Deno.writeTextFile(`${dir}/sub/x`, "x");
  await assert.rejects(writeFileAtomic(`${dir}/sub`, "data"));
  assert.deepStrictEqual(JSON.parse(await Deno.readTextFile(path)), { ok: true });
  assert.deepStrictEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
    ["model.json", "sub"],
  );
});
