/**
 * `deno task schema`: writes configs/schema.json (JSON Schema for editors) and docs/config.md
 * (the config reference) from the zod schema.
 */

import { PROJECT_ROOT, writeFileAtomic } from "../common/files.ts";
import { configJsonSchema } from "../experiments/sweep/config.ts";
import { configReference } from "../experiments/sweep/config_reference.ts";
import { parseOnlyFlags, runMain } from "./_cli.ts";

if (import.meta.main) {
  await runMain(async () => {
    parseOnlyFlags(Deno.args, {
      usage: `Usage: deno task schema

Writes configs/schema.json (the JSON Schema editors check configs with) and docs/config.md (the
config reference) from the config schema in experiments/sweep/config.ts. A test fails when
either file and the code disagree.`,
      flags: {},
    });
    const path = `${PROJECT_ROOT}/configs/schema.json`;
    await writeFileAtomic(path, JSON.stringify(configJsonSchema(), null, 2) + "\n");
    const reference = `${PROJECT_ROOT}/docs/config.md`;
    await writeFileAtomic(reference, configReference(configJsonSchema()));
    console.log(`Wrote ${path} and ${reference}`);
  });
}
