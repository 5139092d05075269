// Files made from the definitions in this package: `pnpm run observability:generate` writes them,
// and a test fails when a committed one differs from what the definitions make now.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { REPO_ROOT } from "@emuedit/launcher";
import { dashboardJson } from "./dashboard-json.js";
import { withGeneratedSection } from "./docs.js";
import { prometheusRuleYaml, ruleFileYaml, ruleTestsYaml } from "./rule-files.js";

export interface GeneratedFile {
  /** Repository-relative path. */
  readonly path: string;
  /** The content it must have, given its current content (docs keep their hand-written parts). */
  make(current: string | null): string;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: "k8s/observability/dashboards/emuedit.json", make: () => dashboardJson() },
  { path: "k8s/observability/prometheus/rules.yaml", make: () => ruleFileYaml() },
  { path: "k8s/observability/prometheus/rules.test.yaml", make: () => ruleTestsYaml("rules.yaml") },
  { path: "k8s/observability/operator/prometheusrule.yaml", make: () => prometheusRuleYaml() },
  {
    path: "docs/observability.md",
    make: (current) => {
      if (current === null) throw new Error("docs/observability.md is missing");
      return withGeneratedSection(current);
    },
  },
];

export async function readRepoFile(rel: string): Promise<string | null> {
  try {
    return await readFile(path.join(REPO_ROOT, rel), "utf8");
  } catch {
    return null;
  }
}
