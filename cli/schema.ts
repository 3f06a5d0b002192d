/** `deno task schema`: writes configs/schema.json (JSON Schema for editors) from the zod schema. */

import { PROJECT_ROOT, writeFileAtomic } from "../common/files.ts";
import { configJsonSchema } from "../experiments/sweep/config.ts";
import { parseOnlyFlags, runMain } from "./_cli.ts";

if (import.meta.main) {
  await runMain(async () => {
    parseOnlyFlags(Deno.args, {
      usage: `Usage: deno task schema

Writes configs/schema.json (the JSON Schema editors check configs with) from the config schema
in experiments/sweep/config.ts. A test fails when the file and the code disagree.`,
      flags: {},
    });
    const path = `${PROJECT_ROOT}/configs/schema.json`;
    await writeFileAtomic(path, JSON.stringify(configJsonSchema(), null, 2) + "\n");
    console.log(`Wrote ${path}`);
  });
}
