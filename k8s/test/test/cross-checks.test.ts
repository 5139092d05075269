// The manifests against the code they deploy, for every kustomization under k8s/ (rendered with
// the current kubectl): each variable set is a setting its service reads and parses; ports and
// probes are the ones the service listens on; Services and budgets select real pods; the drain
// fits in the termination grace; addresses name real Services; KEDA targets real Deployments in
// its own namespace; NATS's configuration is one nats-server accepts. The live side (metrics the
// KEDA queries name) is in bundles.test.ts, against running services.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findNatsServer } from "@emuedit/testing";
import { currentKubectl } from "../src/kubectl.js";
import { kustomizationDirs, render, type K8sObject } from "../src/render.js";
import { COMPONENT_LABEL, containerEnv, effectiveSettings, SERVICE_SETTINGS, workloads, type Container, type Probe, type Workload } from "../src/workloads.js";

const kubectl = currentKubectl();
const DIRS = kustomizationDirs();

/** The ports a component's settings make it listen on, by container port name. */
function listeningPorts(component: string, s: Record<string, unknown>): Record<string, number> {
  if (component === "gateway") return { http: s["httpPort"] as number, grpc: s["grpcPort"] as number, metrics: s["metricsPort"] as number };
  return { grpc: s["port"] as number, metrics: s["metricsPort"] as number };
}

function probePort(probe: Probe, container: Container): { kind: string; port: number } {
  const named = (p: number | string) => (typeof p === "number" ? p : (container.ports?.find((c) => c.name === p)?.containerPort ?? NaN));
  if (probe.grpc) return { kind: "grpc", port: probe.grpc.port };
  if (probe.httpGet) return { kind: "http", port: named(probe.httpGet.port) };
  if (probe.tcpSocket) return { kind: "tcp", port: named(probe.tcpSocket.port) };
  return { kind: "exec", port: NaN };
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

function emueditContainers(objects: K8sObject[]): { w: Workload; c: Container; settings: Record<string, unknown> }[] {
  return workloads(objects)
    .filter((w) => SERVICE_SETTINGS[w.component] !== undefined)
    .map((w) => {
      const c = w.template.spec.containers.find((x) => x.name === w.component);
      if (c === undefined) throw new Error(`${w.object.metadata.name}: no container named ${w.component}`);
      return { w, c, settings: effectiveSettings(SERVICE_SETTINGS[w.component]!, containerEnv(c, objects)).values };
    });
}

describe("cross-checks", { skip: kubectl.bin === null ? kubectl.missing : false }, () => {
  for (const dir of DIRS) {
    let cached: K8sObject[] | undefined;
    const objects = () => (cached ??= render(kubectl.bin!, dir));

    if (dir === "base" || dir.startsWith("overlays/")) {
      test(`cross-checks - ${dir}: deploys the gateway, the three model services and NATS`, () => {
        const components = workloads(objects()).map((w) => w.component).sort();
        assert.deepEqual(components, ["gateway", "nats", "text-encoder", "unet", "vae"]);
      });
    }

    test(`cross-checks - ${dir}: every variable set is a setting its service reads, and its value parses`, () => {
      const problems: string[] = [];
      for (const w of workloads(objects())) {
        const specs = SERVICE_SETTINGS[w.component];
        if (specs === undefined) continue;
        const known = new Set(Object.values(specs).map((s) => s.env));
        for (const c of w.template.spec.containers) {
          const env = containerEnv(c, objects());
          for (const [name, { from }] of env) if (!known.has(name)) problems.push(`${w.component}: ${name} (${from}) is no setting ${w.component} reads`);
          for (const p of effectiveSettings(specs, env).problems) problems.push(`${w.component}: ${p}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test(`cross-checks - ${dir}: container ports and probes are the ports the services listen on`, (t) => {
      const all = emueditContainers(objects());
      if (all.length === 0) return t.skip(`${dir} deploys no emuedit service`);
      for (const { w, c, settings } of all) {
        const want = listeningPorts(w.component, settings);
        assert.ok(want["metrics"]! > 0, `${w.component}: metrics port is off`);
        const have = Object.fromEntries((c.ports ?? []).map((p) => [p.name, p.containerPort]));
        assert.deepEqual(have, want, `${w.component}: container ports`);
        for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"] as const) {
          const probe = c[kind];
          assert.ok(probe, `${w.component}: no ${kind}`);
          const { kind: how, port } = probePort(probe, c);
          // The model services' health is gRPC health (SERVING = model loaded and warmed up).
          if (w.component !== "gateway") assert.equal(how, "grpc", `${w.component} ${kind}`);
          assert.equal(port, how === "http" ? want["http"] : want["grpc"], `${w.component} ${kind} port`);
        }
      }
    });

    test(`cross-checks - ${dir}: Services and disruption budgets select pods, and target ports the pods name`, (t) => {
      const objs = objects();
      const pods = workloads(objs);
      // A kustomization of its own without workloads (k8s/observability) selects the base's pods.
      if (pods.length === 0) return t.skip(`${dir} has no workloads`);
      for (const o of objs.filter((x) => x.kind === "Service" || x.kind === "PodDisruptionBudget")) {
        const spec = o["spec"] as { selector: Record<string, string> & { matchLabels?: Record<string, string> }; ports?: { targetPort: string | number }[] };
        const selector = o.kind === "Service" ? spec.selector : spec.selector.matchLabels!;
        const selected = pods.filter((w) => matches(selector, w.template.metadata.labels));
        assert.equal(selected.length, 1, `${o.kind} ${o.metadata.name} selects ${selected.length} workloads`);
        const names = selected[0]!.template.spec.containers.flatMap((c) => (c.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
        for (const p of spec.ports ?? []) assert.ok(names.includes(p.targetPort), `${o.kind} ${o.metadata.name}: targetPort ${p.targetPort} is no container port`);
      }
    });

    test(`cross-checks - ${dir}: terminationGracePeriodSeconds outlasts the not-ready delay and the drain`, () => {
      for (const { w, settings } of emueditContainers(objects())) {
        const drainMs = (settings["shutdownDelayMs"] as number) + (settings["shutdownGraceMs"] as number);
        const graceS = w.template.spec.terminationGracePeriodSeconds ?? 30;
        assert.ok(graceS * 1000 > drainMs, `${w.component}: ${graceS} s <= EMUEDIT_SHUTDOWN_DELAY_MS + EMUEDIT_SHUTDOWN_GRACE_MS = ${drainMs} ms`);
      }
    });

    test(`cross-checks - ${dir}: the gateway's addresses and NATS_URL name Services of this render on the services' ports`, (t) => {
      const objs = objects();
      const services = new Map(objs.filter((o) => o.kind === "Service").map((o) => [o.metadata.name, o["spec"] as { clusterIP?: string; ports: { port: number }[] }]));
      const byComponent = new Map(emueditContainers(objs).map((x) => [x.w.component, x.settings]));
      const gateway = byComponent.get("gateway");
      if (gateway === undefined) return t.skip(`${dir} deploys no gateway`);
      for (const [key, component] of [["textEncoderAddress", "text-encoder"], ["vaeAddress", "vae"], ["unetAddress", "unet"]] as const) {
        const address: string = String(gateway[key]);
        const m = /^dns:\/\/\/([a-z0-9-]+):(\d+)$/.exec(address);
        assert.ok(m, `${key}=${address}: want dns:///<service>:<port> (every ready replica)`);
        const svc = services.get(m[1]!);
        assert.ok(svc, `${address}: no Service ${m[1]}`);
        assert.equal(svc.clusterIP, "None", `${m[1]}: a ClusterIP Service would pin each gRPC connection to one pod`);
        assert.equal(Number(m[2]), byComponent.get(component)?.["port"], `${address}: not ${component}'s port`);
        assert.ok(svc.ports.some((p) => p.port === Number(m[2])), `${address}: Service ${m[1]} has no port ${m[2]}`);
      }
      for (const [component, s] of byComponent) {
        if (!("natsUrl" in s)) continue;
        for (const url of String(s["natsUrl"]).split(",")) {
          const u = new URL(url.trim());
          const host = u.hostname.split(".");
          const svc = services.get(host.length === 1 ? host[0]! : host[1]!);
          assert.ok(svc?.ports.some((p) => p.port === Number(u.port)), `${component}: NATS_URL ${url} names no Service port of this render`);
        }
      }
    });

    test(`cross-checks - ${dir}: containers run as non-root on a read-only root with requests and limits`, () => {
      for (const w of workloads(objects())) {
        const pod = (w.template.spec as { securityContext?: { runAsNonRoot?: boolean } }).securityContext;
        assert.equal(pod?.runAsNonRoot, true, `${w.component}: runAsNonRoot`);
        const spec = w.template.spec as { containers: Container[]; initContainers?: Container[] };
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const sc = (c as { securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean } }).securityContext;
          assert.equal(sc?.readOnlyRootFilesystem, true, `${w.component}/${c.name}: readOnlyRootFilesystem`);
          assert.equal(sc?.allowPrivilegeEscalation, false, `${w.component}/${c.name}: allowPrivilegeEscalation`);
          for (const r of ["cpu", "memory"]) {
            assert.ok(c.resources?.requests?.[r] !== undefined && c.resources?.limits?.[r] !== undefined, `${w.component}/${c.name}: ${r} request and limit`);
          }
        }
      }
    });

    test(`cross-checks - ${dir}: a container has a GPU exactly when it runs the CUDA execution provider`, () => {
      for (const { w, c, settings } of emueditContainers(objects())) {
        if (!("executionProvider" in settings)) continue;
        const gpus = Number(c.resources?.limits?.["nvidia.com/gpu"] ?? 0);
        assert.equal(settings["executionProvider"] === "cuda", gpus > 0, `${w.component}: provider ${String(settings["executionProvider"])} with ${gpus} GPUs`);
      }
    });

    test(`cross-checks - ${dir}: KEDA scales Deployments of this render, querying this namespace`, () => {
      const objs = objects();
      for (const so of objs.filter((o) => o.kind === "ScaledObject")) {
        const spec = so["spec"] as { scaleTargetRef: { name: string }; minReplicaCount?: number; triggers: { type: string; metadata: Record<string, string> }[] };
        const target = objs.find((o) => o.kind === "Deployment" && o.metadata.name === spec.scaleTargetRef.name);
        assert.ok(target, `ScaledObject ${so.metadata.name}: no Deployment ${spec.scaleTargetRef.name}`);
        assert.equal((target["spec"] as { replicas?: number }).replicas, undefined, `${spec.scaleTargetRef.name}: replicas set beside its autoscaler`);
        for (const t of spec.triggers.filter((x) => x.type === "prometheus")) {
          const namespaces = [...t.metadata["query"]!.matchAll(/namespace="([^"]*)"/g)].map((m) => m[1]);
          assert.ok(namespaces.length > 0, `${so.metadata.name}: query without a namespace matcher: ${t.metadata["query"]}`);
          for (const ns of namespaces) assert.equal(ns, so.metadata.namespace, `${so.metadata.name}: query reads namespace ${ns}`);
          if (spec.minReplicaCount === 0) assert.ok(t.metadata["activationThreshold"] !== undefined, `${so.metadata.name}: scales to zero without an activationThreshold`);
        }
      }
    });

    test(`cross-checks - ${dir}: nats-server accepts the NATS configuration, with one route per member`, async () => {
      const objs = objects();
      const cm = objs.find((o) => o.kind === "ConfigMap" && /^nats-config(-|$)/.test(o.metadata.name));
      const sts = objs.find((o) => o.kind === "StatefulSet" && o.metadata.labels?.[COMPONENT_LABEL] === "nats");
      if (cm === undefined && sts === undefined) return;
      assert.ok(cm && sts, `${dir}: NATS needs both its StatefulSet and its nats-config`);
      const conf = (cm["data"] as Record<string, string>)["nats.conf"]!;
      const dirTmp = mkdtempSync(path.join(tmpdir(), "emuedit-nats-conf-"));
      try {
        writeFileSync(path.join(dirTmp, "nats.conf"), conf);
        // -t: parse and check the configuration, then exit (the pod gives POD_NAME).
        execFileSync(await findNatsServer(), ["-t", "-c", path.join(dirTmp, "nats.conf")], { env: { ...process.env, POD_NAME: `${sts.metadata.name}-0` }, stdio: "pipe" });
      } finally {
        rmSync(dirTmp, { recursive: true, force: true });
      }
      const replicas = (sts["spec"] as { replicas: number }).replicas;
      const routes = [...conf.matchAll(/nats:\/\/([a-z0-9-]+)-(\d+)\.([a-z0-9-]+):6222/g)];
      if (replicas === 1) assert.equal(routes.length, 0, "a single member with cluster routes has no JetStream leader");
      else {
        assert.deepEqual(routes.map((m) => Number(m[2])).sort(), [...Array(replicas).keys()], "one route per member");
        const headless = (sts["spec"] as { serviceName: string }).serviceName;
        for (const m of routes) assert.equal(m[3], headless, `route ${m[0]} is not through the StatefulSet's Service`);
      }
    });
  }
});
