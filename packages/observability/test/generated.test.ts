// The committed dashboard, rule files, rule tests and docs section are what the definitions in
// src/ make now (regenerate with `pnpm run observability:generate`).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dashboard, GENERATED_FILES, PANELS, RECORDING_RULES, metricNames } from "../src/index.js";
import { readRepoFile } from "../src/generated-files.js";

describe("generated files", () => {
  for (const file of GENERATED_FILES) {
    test(`generated - ${file.path} is current`, async () => {
      const current = await readRepoFile(file.path);
      assert.ok(current !== null, `${file.path} exists`);
      assert.equal(current, file.make(current), `${file.path} is stale: run pnpm run observability:generate`);
    });
  }

  test("dashboard - every panel has a unit, a description and one target per query; ids and grid places are unique", () => {
    const d = dashboard();
    const panels = d.panels as { id: number; type: string; gridPos: { x: number; y: number }; fieldConfig?: { defaults: { unit: string } }; targets?: { expr: string }[]; description?: string }[];
    const series = panels.filter((p) => p.type === "timeseries");
    assert.equal(series.length, PANELS.length);
    for (const p of series) {
      assert.ok(p.fieldConfig?.defaults.unit, `panel ${p.id} has a unit`);
      assert.ok(p.description, `panel ${p.id} says what it shows`);
      assert.ok((p.targets?.length ?? 0) > 0);
    }
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
    assert.equal(new Set(panels.map((p) => `${p.gridPos.x},${p.gridPos.y}`)).size, panels.length);
  });

  test("dashboard - every recording rule a panel reads exists", () => {
    const records = new Set(RECORDING_RULES.map((r) => r.record));
    for (const p of PANELS) {
      for (const q of p.queries) {
        for (const name of metricNames(q.expr).filter((n) => n.includes(":"))) assert.ok(records.has(name), `${p.title}: ${name} is no recording rule`);
      }
    }
  });
});

describe("promql", () => {
  test("metricNames - selectors only: not functions, aggregations, label names, values or windows", () => {
    assert.deepEqual(
      metricNames('histogram_quantile(0.95, sum by (le, stage) (rate(emuedit_stage_duration_ms_bucket{stage!="x",le=~"1.*"}[5m])))'),
      ["emuedit_stage_duration_ms_bucket"],
    );
    assert.deepEqual(
      metricNames("sum by (le) (rate(a_bucket[$__rate_interval])) / ignoring(le) group_left sum(rate(a_count[1m])) > 0.5 and on(job) up"),
      ["a_bucket", "a_count", "up"],
    );
    assert.deepEqual(metricNames("model:x_ms:mean_5m > 1 * model:y_ms:mean_5m"), ["model:x_ms:mean_5m", "model:y_ms:mean_5m"]);
  });
});
