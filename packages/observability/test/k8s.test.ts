// k8s/observability renders with kustomize (a current kubectl's and kubectl 1.20's, found as
// k8s/test finds them: k8s/test/scripts/fetch-kubectl.sh puts both in place), uses only the
// fields both understand, and its pieces fit together: the dashboard ConfigMap carries Grafana's
// sidecar label, the Prometheus ConfigMap holds the scrape config and the rules it names, the
// PodMonitor scrapes what prometheus.yml scrapes, and the collector's pipelines are complete.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { currentKubectl, kubectl120 } from "@emuedit/k8s-test/kubectl";
import { dashboardJson, OBSERVABILITY_DIR, ruleFileYaml } from "../src/index.js";

const run = promisify(execFile);
const ALLOWED_FIELDS = new Set(["resources", "patchesStrategicMerge", "patchesJson6902", "configMapGenerator", "images", "namespace", "commonLabels"]);
const KUSTOMIZATIONS = [OBSERVABILITY_DIR, path.join(OBSERVABILITY_DIR, "operator")];

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; namespace?: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

const kubectls: [string, string][] = [currentKubectl(), kubectl120()].flatMap((r) => (r.bin ? [[r.label, r.bin] as [string, string]] : []));

async function render(bin: string, dir: string): Promise<Manifest[]> {
  const { stdout } = await run(bin, ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJSON() as Manifest);
}

describe("k8s/observability", () => {
  test("kustomization - only the fields kubectl 1.20's kustomize and a current one both take", async () => {
    for (const dir of KUSTOMIZATIONS) {
      const k = parse(await readFile(path.join(dir, "kustomization.yaml"), "utf8")) as Record<string, unknown>;
      for (const field of Object.keys(k)) assert.ok(ALLOWED_FIELDS.has(field), `${dir}: ${field}`);
    }
  });

  for (const [which, bin] of kubectls) {
    test(`kustomize (${which} kubectl) - the dashboards, Prometheus and collector render and fit together`, async () => {
      const out = await render(bin, OBSERVABILITY_DIR);
      const byName = (prefix: string) => out.find((m) => m.kind === "ConfigMap" && m.metadata.name.startsWith(`${prefix}-`));
      const dashboards = byName("emuedit-dashboards");
      assert.equal(dashboards?.metadata.labels?.["grafana_dashboard"], "1", "Grafana's sidecar label");
      assert.equal(dashboards?.data?.["emuedit.json"], dashboardJson());
      const prometheus = byName("emuedit-prometheus");
      const config = parse(prometheus?.data?.["prometheus.yml"] ?? "") as { rule_files: string[] };
      for (const file of config.rule_files) assert.ok(prometheus?.data?.[file], `${file}, named by prometheus.yml, is beside it`);
      assert.equal(prometheus?.data?.["rules.yaml"], ruleFileYaml());
      const collectorConfig = byName("emuedit-otel-collector");
      const deployment = out.find((m) => m.kind === "Deployment" && m.metadata.name === "otel-collector");
      const volumes = (deployment?.spec as { template: { spec: { volumes: { configMap: { name: string } }[] } } }).template.spec.volumes;
      assert.equal(volumes[0]?.configMap.name, collectorConfig?.metadata.name, "the collector mounts its (hashed) ConfigMap");
      for (const m of out) assert.equal(m.metadata.namespace, "emuedit", `${m.kind}/${m.metadata.name}`);
    });

    test(`kustomize (${which} kubectl) - the operator's PodMonitor scrapes what prometheus.yml scrapes; the PrometheusRule holds the rules`, async () => {
      const out = await render(bin, path.join(OBSERVABILITY_DIR, "operator"));
      const monitor = out.find((m) => m.kind === "PodMonitor");
      const spec = monitor?.spec as { jobLabel: string; selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string; path: string }[] };
      const scrape = (parse(await readFile(path.join(OBSERVABILITY_DIR, "prometheus", "prometheus.yml"), "utf8")) as {
        scrape_configs: { relabel_configs: { source_labels: string[]; regex?: string; action?: string; target_label?: string }[] }[];
      }).scrape_configs[0]!.relabel_configs;
      const keep = (label: string) => scrape.find((r) => r.action === "keep" && r.source_labels[0] === label)?.regex;
      assert.equal(spec.selector.matchLabels["app.kubernetes.io/part-of"], keep("__meta_kubernetes_pod_label_app_kubernetes_io_part_of"));
      assert.equal(spec.podMetricsEndpoints[0]?.port, keep("__meta_kubernetes_pod_container_port_name"));
      const jobFrom = scrape.find((r) => r.target_label === "job")?.source_labels[0];
      assert.equal(jobFrom, `__meta_kubernetes_pod_label_${spec.jobLabel.replace(/[./-]/g, "_")}`);
      const rule = out.find((m) => m.kind === "PrometheusRule");
      assert.deepEqual(rule?.spec, parse(ruleFileYaml()));
    });
  }

  test("kustomize - kubectl 1.20 rendered too, or the reason it did not", (t) => {
    if (!kubectls.some(([which]) => which === "1.20")) t.skip(kubectl120().missing);
    if (!kubectls.some(([which]) => which === "current")) t.skip(currentKubectl().missing);
  });
});

describe("otel collector config", () => {
  type Pipeline = { receivers: string[]; processors?: string[]; exporters: string[] };
  type Config = {
    receivers: Record<string, unknown>;
    processors: Record<string, unknown>;
    exporters: Record<string, unknown>;
    extensions?: Record<string, unknown>;
    service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
  };
  const load = async () => parse(await readFile(path.join(OBSERVABILITY_DIR, "otel-collector", "config.yaml"), "utf8")) as Config;

  test("collector - every pipeline's receivers, processors and exporters are defined; every extension used is defined", async () => {
    const config = await load();
    assert.ok(Object.keys(config.service.pipelines).length > 0);
    for (const [name, p] of Object.entries(config.service.pipelines)) {
      assert.ok(p.receivers.length > 0 && p.exporters.length > 0, `${name}: receivers and exporters`);
      for (const r of p.receivers) assert.ok(r in config.receivers, `${name}: receiver ${r}`);
      for (const pr of p.processors ?? []) assert.ok(pr in config.processors, `${name}: processor ${pr}`);
      for (const e of p.exporters) assert.ok(e in config.exporters, `${name}: exporter ${e}`);
    }
    for (const ext of config.service.extensions ?? []) assert.ok(ext in (config.extensions ?? {}), `extension ${ext}`);
  });

  test("collector - OTLP in (the port the services send to), tail sampling keeps failed and slow edits, memory_limiter first", async () => {
    const config = await load();
    const traces = config.service.pipelines["traces"]!;
    assert.deepEqual(traces.receivers, ["otlp"]);
    const otlp = config.receivers["otlp"] as { protocols: { http: { endpoint: string }; grpc: { endpoint: string } } };
    assert.match(otlp.protocols.http.endpoint, /:4318$/);
    assert.equal(traces.processors?.[0], "memory_limiter");
    // Batching after sampling: tail sampling needs whole traces, not batches of spans.
    assert.ok(traces.processors!.indexOf("tail_sampling") < traces.processors!.indexOf("batch"));
    const sampling = config.processors["tail_sampling"] as { policies: { type: string; status_code?: { status_codes: string[] }; latency?: { threshold_ms: number } }[] };
    assert.ok(sampling.policies.some((p) => p.type === "status_code" && p.status_code?.status_codes.includes("ERROR")), "failed edits kept");
    assert.ok(sampling.policies.some((p) => p.type === "latency" && (p.latency?.threshold_ms ?? 0) > 0), "slow edits kept");
  });
});
