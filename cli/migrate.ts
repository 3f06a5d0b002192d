/**
 * `deno task migrate results/<name>`: brings a results folder written by an older identikit to
 * the current results format (images named by each record's whole identity, stable shards).
 */

import { EXIT, parseFolderFlags, requireAccess, runMain } from "./_cli.ts";
import { migrateResults } from "../experiments/store/migrate.ts";
import { RESULTS_FORMAT } from "../experiments/store/results_format.ts";
import { listNames } from "../experiments/store/merge.ts";

const USAGE = `Usage: deno task migrate results/<name>

Brings a results folder of an older identikit (results format 1 or 2) to format ${RESULTS_FORMAT}, in place:
  - each image is renamed after its record's whole identity (older folders named images by cell
    id alone, which two records could share; a record whose image another run overwrote is
    dropped, and its cell runs again on the next resume);
  - shard files are regrouped by the shard that now runs each cell.
Every other field of every record is kept. Nothing runs while it migrates (it takes the
folder's lock); running it again is harmless. Afterwards: deno task report results/<name>.`;

if (import.meta.main) {
  await runMain(async () => {
    const { dir } = parseFolderFlags(Deno.args, { usage: USAGE, flags: {} });
    requireAccess(dir, "write", { flag: "results folder", allowed: "results/" });
    const done = await migrateResults(dir);
    if (done.from === RESULTS_FORMAT) {
      console.error(`${dir} is already in results format ${RESULTS_FORMAT}: nothing to do`);
      return EXIT.ok;
    }
    console.error(
      `Migrated ${dir} from results format ${done.from} to ${RESULTS_FORMAT}: ${done.kept} record(s) kept with renamed images, ${done.moved} moved to their stable shard, ${done.removed} old image file(s) removed`,
    );
    if (done.dropped.length) {
      console.error(
        `Dropped ${done.dropped.length} record(s) whose image another run had overwritten (they run again on resume): ${
          listNames(done.dropped.map((d) => `${d.cell} (${d.file})`))
        }`,
      );
    }
    console.error(`Now rebuild its report: deno task report ${dir}`);
    return EXIT.ok;
  });
}
