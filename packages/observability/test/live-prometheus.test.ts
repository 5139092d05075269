// The dashboards made real: the system with metrics on, a real Prometheus scraping it on
// loopback with the repository's scrape configuration and rule file, a mix of edits (several
// tasks, a burst the UNet batches, one unknown task, one missed deadline); then every panel's
// query (Grafana variables substituted) and every recording rule must return data, every metric
// a panel reads must be one a service exports, and every panel draws as a chart.
// The unet starts at zero replicas and the first edit wakes it, so the cold-start panels have a
// wait to show.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "@emuedit/testing";
import {
  driveTraffic,
  exposedNames,
  findBinary,
  metricNames,
  PANELS,
  plotPanel,
  RECORDING_RULES,
  SERVICES,
  startObservedSystem,
  substituteGrafanaVariables,
  type ObservedSystem,
  type TrafficReport,
} from "../src/index.js";

const RATE_INTERVAL = "30s";

const prometheusBin = await findBinary("prometheus");
const skip = prometheusBin ? false : "prometheus is not installed (apt-get install prometheus; .ci/run installs it)";

let observed: ObservedSystem;
let traffic: TrafficReport;
/** Every sample name some service exports, from their live /metrics. */
const exported = new Set<string>();
const rulesByName = new Map(RECORDING_RULES.map((r) => [r.record, r.expr]));

/** The raw metrics a query reads, recording rules resolved to the metrics of their expressions. */
function rawMetrics(expr: string): string[] {
  return metricNames(expr).flatMap((name) => {
    const rule = rulesByName.get(name);
    return rule ? rawMetrics(rule) : [name];
  });
}

describe("dashboards against a real Prometheus", { skip }, () => {
  let start = 0;
  before(async () => {
    start = Math.floor(Date.now() / 1000);
    observed = await startObservedSystem();
    traffic = await driveTraffic(observed.sys.httpUrl, 2);
    // Every target scraped after the traffic, and the rules evaluated on it.
    const { api } = observed.prometheus;
    await waitFor(async () => (await api.targets()).every((t) => t.health === "up"), { timeoutMs: 30_000, intervalMs: 500, description: "every target up" });
    await sleep(4000);
    for (const service of SERVICES) {
      const body = await (await fetch(`http://${observed.metricsTargets[service]}/metrics`)).text();
      for (const name of exposedNames(body)) exported.add(name);
    }
  });
  after(async () => {
    await observed?.stop();
  });

  test("traffic - the edits answered as planned", () => {
    assert.deepEqual(new Set(traffic.statuses.sequential), new Set([200]));
    assert.deepEqual(new Set(traffic.statuses.concurrent), new Set([200]));
    assert.deepEqual(new Set(traffic.statuses.unknownTask), new Set([400]));
    assert.deepEqual(new Set(traffic.statuses.deadline), new Set([504]));
  });

  test("scrape - every service is a target that is up, labelled job=<service>", async () => {
    const targets = await observed.prometheus.api.targets();
    assert.deepEqual(targets.map((t) => t.labels["job"]).sort(), [...SERVICES].sort());
    for (const t of targets) assert.equal(t.health, "up", `${t.labels["job"]}: ${t.lastError}`);
  });

  test("rules - every recording rule loaded, evaluated without error and returns data", async () => {
    const { api } = observed.prometheus;
    const loaded = await api.rules();
    for (const rule of RECORDING_RULES) {
      const state = loaded.find((r) => r.name === rule.record);
      assert.ok(state, `${rule.record} loaded`);
      assert.equal(state.health, "ok", `${rule.record}: ${state.lastError}`);
      const result = await api.query(rule.record);
      assert.ok(result.length > 0, `${rule.record} has data (${rule.expr})`);
    }
  });

  describe("panels", () => {
    for (const panel of PANELS) {
      test(`panel - ${panel.title}`, async () => {
        const metrics = [...new Set(panel.queries.flatMap((q) => rawMetrics(q.expr)))];
        // Every metric it reads is one the services export ...
        for (const m of metrics) assert.ok(exported.has(m), `${panel.title}: ${m} is exported by no service`);
        // ... and every query returns data now ...
        for (const query of panel.queries) {
          const expr = substituteGrafanaVariables(query.expr, { rateInterval: RATE_INTERVAL });
          assert.ok(!expr.includes("$"), `${expr}: a Grafana variable left`);
          const result = await observed.prometheus.api.query(expr);
          assert.ok(result.length > 0, `${panel.title}: no data for ${expr}`);
        }
        // ... and over the run, as the panel draws it.
        const plot = await plotPanel(observed.prometheus.api, panel, { start, end: Math.floor(Date.now() / 1000), stepS: 2, rateInterval: RATE_INTERVAL });
        assert.ok(plot.series.some((s) => s.points.some(([, v]) => Number.isFinite(v))), `${panel.title}: a finite point to draw`);
        assert.match(plot.svg, /<path d="M/);
      });
    }
  });

  test("metrics - every metric a panel reads is exported by a service; the edit that woke the unet from zero succeeded", () => {
    const missing = [...new Set(PANELS.flatMap((p) => p.queries.flatMap((q) => rawMetrics(q.expr))))].filter((m) => !exported.has(m));
    assert.deepEqual(missing, [], "read by a panel but exported by no service");
    assert.equal(observed.coldStartStatus, 200);
  });

  test("metrics - queue wait and compute per model, process CPU and memory per service", async () => {
    const { api } = observed.prometheus;
    const models = (await api.query("sum by (model) (emuedit_model_run_ms_count)")).map((s) => s.metric["model"]).sort();
    assert.deepEqual(models, ["task_classifier", "text_encoder", "unet", "vae_decoder", "vae_encoder"]);
    const waits = (await api.query("sum by (model) (emuedit_model_queue_wait_ms_count)")).map((s) => s.metric["model"]).sort();
    assert.deepEqual(waits, models);
    const cpu = await api.query("sum by (job) (process_cpu_seconds_total)");
    assert.deepEqual(cpu.map((s) => s.metric["job"]).sort(), [...SERVICES].sort());
    for (const s of cpu) assert.ok(Number(s.value[1]) > 0, `${s.metric["job"]} used CPU`);
    const rss = await api.query("process_resident_memory_bytes");
    for (const s of rss) assert.ok(Number(s.value[1]) > 10 * 1024 * 1024, `${s.metric["job"]} resident memory ${s.value[1]}`);
    // The missed deadline counted against a model stage; publishes were timed and none failed.
    const stageErrors = await api.query('sum by (code) (emuedit_stage_errors_total{code="deadline_exceeded"})');
    assert.equal(stageErrors.length, 1);
    assert.equal((await api.query("emuedit_latent_publish_failures_total"))[0]?.value[1], "0");
    assert.ok(Number((await api.query("sum(emuedit_latent_publish_duration_ms_count)"))[0]?.value[1]) > 0);
  });
});
