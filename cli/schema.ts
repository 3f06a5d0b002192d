/** `deno task schema`: writes configs/schema.json (JSON Schema for editors) from the zod schema. */

import { PROJECT_ROOT, writeFileAtomic } from "../common/files.ts";
import { configJsonSchema } from "../experiments/sweep/config.ts";
import { runMain } from "./_cli.ts";

if (import.meta.main) {
  await runMain(async () => {
    const path = `${PROJECT_ROOT}/configs/schema.json`;
    await writeFileAtomic(path, JSON.stringify(configJsonSchema(), null, 2) + "\n");
    console.log(`Wrote ${path}`);
  });
}
