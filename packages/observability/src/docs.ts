// The generated part of docs/observability.md: every panel (what it shows, its queries, its
// picture, what to do when it looks wrong), every alert with its runbook, the thresholds.
import { ROWS } from "./panels.js";
import { ALERT_RULES, RECORDING_RULES, runbookAnchor } from "./rules.js";
import { EDIT_SERVER_ERROR_CODES, Slo } from "./slo.js";

export const DOC_BEGIN = "<!-- BEGIN GENERATED: pnpm run observability:generate (packages/observability/src) -->";
export const DOC_END = "<!-- END GENERATED -->";

const code = (s: string) => `\`\`\`promql\n${s}\n\`\`\``;

export function panelsAndAlertsMarkdown(): string {
  const out: string[] = [DOC_BEGIN, "", "## Panels", ""];
  for (const row of ROWS) {
    out.push(`### ${row.title}`, "");
    for (const p of row.panels) {
      out.push(`#### ${p.title}`, "", p.description, "", `![${p.title}](observability/${p.id}.svg)`, "");
      out.push(code(p.queries.map((q) => q.expr).join("\n")), "");
      out.push(`When it is red: ${p.whenRed}`, "");
    }
  }
  out.push("## Alerts", "");
  out.push("Thresholds are named values in packages/observability/src/slo.ts:", "", "| name | value |", "| --- | --- |");
  for (const [name, value] of Object.entries(Slo)) out.push(`| \`Slo.${name}\` | \`${value}\` |`);
  out.push(`| \`EDIT_SERVER_ERROR_CODES\` | ${EDIT_SERVER_ERROR_CODES.map((c) => `\`${c}\``).join(", ")} |`, "");
  for (const a of ALERT_RULES) {
    out.push(`### Alert: ${a.alert}`, "", `<a id="${runbookAnchor(a.alert)}"></a>`, "");
    out.push(`Severity \`${a.severity}\`, after \`${a.for}\`. ${a.summary.replace(/\{\{ \$labels\.(\w+) \}\}/g, "<$1>")}.`, "", a.description.replace(/\{\{ \$labels\.(\w+) \}\}/g, "<$1>"), "");
    out.push(code(a.expr), "", `What to do: ${a.whenFiring}`, "");
  }
  out.push("## Recording rules", "", "| rule | expression |", "| --- | --- |");
  for (const r of RECORDING_RULES) out.push(`| \`${r.record}\` | \`${r.expr.replace(/\|/g, "\\|")}\` |`);
  out.push("", DOC_END);
  return out.join("\n");
}

/** `doc` with its generated section replaced by the current one. */
export function withGeneratedSection(doc: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin) throw new Error(`docs/observability.md lacks the markers ${DOC_BEGIN} ... ${DOC_END}`);
  return doc.slice(0, begin) + panelsAndAlertsMarkdown() + doc.slice(end + DOC_END.length);
}
