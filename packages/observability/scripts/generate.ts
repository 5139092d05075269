// pnpm run observability:generate: writes the dashboard JSON, the rule files, promtool's rule
// tests and the generated section of docs/observability.md from packages/observability/src.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "@emuedit/launcher";
import { GENERATED_FILES } from "../src/index.js";
import { readRepoFile } from "../src/generated-files.js";

for (const file of GENERATED_FILES) {
  const current = await readRepoFile(file.path);
  const next = file.make(current);
  if (next !== current) {
    await writeFile(path.join(REPO_ROOT, file.path), next);
    process.stdout.write(`wrote ${file.path}\n`);
  }
}
