// The images' contents, without building images: every service's production bundle
// (scripts/bundle.mjs, the same step deploy/Dockerfile runs) is built, then each service starts
// from its own bundle folder with plain `node main.mjs` (no tsx, no workspace beside it) against a
// real nats-server, the system becomes ready and serves an edit on models/fixture-tiny, and every
// metric a KEDA trigger of k8s/overlays/autoscale names is scraped from the service it scales.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { launchSystem, REPO_ROOT, SERVICE_NAMES, type RunningSystem, type ServiceName } from "@emuedit/launcher";
import { freePort, tempDir, type TempDir } from "@emuedit/testing";
import { currentKubectl } from "../src/kubectl.js";
import { render } from "../src/render.js";

let dir: TempDir;
let sys: RunningSystem | undefined;
const metricsPorts = {} as Record<ServiceName, number>;
const bundle = (name: ServiceName) => path.join(dir.path, name);

function sizeBytes(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((sum, entry) => sum + sizeBytes(path.join(p, entry)), 0);
}

before(async () => {
  dir = await tempDir("emuedit-bundles-");
  for (const name of SERVICE_NAMES) {
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "bundle.mjs"), name, bundle(name)], { stdio: ["ignore", "ignore", "inherit"] });
  }
  for (const name of SERVICE_NAMES) metricsPorts[name] = await freePort();
});

after(async () => {
  await sys?.stop();
  await dir?.cleanup();
});

describe("bundles", () => {
  test("bundles - each holds compiled JavaScript and production npm packages only; sizes", (t) => {
    for (const name of SERVICE_NAMES) {
      const files = readdirSync(bundle(name));
      assert.ok(files.includes("main.mjs"), `${name}: no main.mjs`);
      assert.ok(!files.some((f) => f.endsWith(".ts")), `${name}: TypeScript in the bundle`);
      const modules = readdirSync(path.join(bundle(name), "node_modules"));
      for (const dev of ["tsx", "esbuild", "typescript", "@emuedit", "kubernetes-models"]) assert.ok(!modules.includes(dev), `${name}: carries ${dev}`);
      t.diagnostic(`${name}: ${(sizeBytes(bundle(name)) / 2 ** 20).toFixed(1)} MiB (main.mjs ${(sizeBytes(path.join(bundle(name), "main.mjs")) / 2 ** 10).toFixed(0)} KiB)`);
    }
  });

  test("bundles - the gateway's carries no onnxruntime; each model service's has its compiled session worker", () => {
    const gw = bundle("gateway");
    const deps = Object.keys((JSON.parse(readFileSync(path.join(gw, "package.json"), "utf8")) as { dependencies: object }).dependencies);
    assert.ok(!deps.some((d) => d.startsWith("onnxruntime")), `gateway depends on ${deps.join(", ")}`);
    assert.ok(!readdirSync(path.join(gw, "node_modules")).some((d) => d.startsWith("onnxruntime")), "onnxruntime in the gateway's node_modules");
    assert.ok(!readFileSync(path.join(gw, "main.mjs"), "utf8").includes("onnxruntime"), "the gateway's code names onnxruntime");
    for (const name of ["text-encoder", "vae", "unet"] as const) {
      assert.ok(existsSync(path.join(bundle(name), "node_modules", "onnxruntime-node")), `${name}: no onnxruntime-node`);
      const worker = readFileSync(path.join(bundle(name), "worker-bootstrap.mjs"), "utf8");
      assert.match(worker, /InferenceSession/, `${name}: worker-bootstrap.mjs is not the session worker`);
      assert.doesNotMatch(worker, /tsx\/esm\/api/, `${name}: the worker registers tsx`);
    }
  });

  test("bundles - every service runs from its own folder with plain node; the system becomes ready and serves an edit and the web editor", async () => {
    sys = await launchSystem({
      modelDir: path.join(REPO_ROOT, "models", "fixture-tiny"),
      privateNats: true,
      serviceEntry: (name) => ({ cwd: bundle(name), entry: "main.mjs", nodeArgs: [] }),
      onLine: () => undefined,
      env: {
        // The fixture's random task classifier is never confident (test/e2e/helpers.ts).
        EMUEDIT_MIN_TASK_CONFIDENCE: "0",
        EMUEDIT_GATEWAY_METRICS_PORT: String(metricsPorts.gateway),
        EMUEDIT_TEXT_ENCODER_METRICS_PORT: String(metricsPorts["text-encoder"]),
        EMUEDIT_VAE_METRICS_PORT: String(metricsPorts.vae),
        EMUEDIT_UNET_METRICS_PORT: String(metricsPorts.unet),
      },
    });
    const form = new FormData();
    form.append("image", new Blob([readFileSync(path.join(REPO_ROOT, "examples", "red-circle.png"))]), "red-circle.png");
    form.append("instruction", "make the circle blue");
    form.append("steps", "2");
    const res = await fetch(`${sys.httpUrl}/v1/edits`, { method: "POST", body: form });
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200, body.toString("utf8", 0, 500));
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.deepEqual([...body.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
    // The web editor: the page and the files it names, from the bundle's web/.
    const page = await (await fetch(`${sys.httpUrl}/`)).text();
    const script = /src="(\/web\/[0-9a-f]+\/editor\.js)"/.exec(page)?.[1];
    assert.ok(script, "the page names its script");
    assert.equal((await fetch(`${sys.httpUrl}${script}`)).status, 200);
  });

  const kubectl = currentKubectl();
  test("bundles - every metric a KEDA trigger queries is exported by the service it scales (or the gateway's view of it)", { skip: kubectl.bin === null ? kubectl.missing : false }, async () => {
    assert.ok(sys, "the system did not start");
    const scrape = async (name: ServiceName) => (await fetch(`http://127.0.0.1:${metricsPorts[name]}/metrics`)).text();
    const exposition = Object.fromEntries(await Promise.all(SERVICE_NAMES.map(async (n) => [n, await scrape(n)] as const))) as Record<ServiceName, string>;
    const exported = (text: string, metric: string) => new RegExp(`^# TYPE ${metric} `, "m").test(text);
    const labelValues = (text: string, metric: string, label: string) =>
      new Set([...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\b${label}="([^"]*)"`, "gm"))].map((m) => m[1]));

    const objects = render(kubectl.bin!, "overlays/autoscale");
    const problems: string[] = [];
    let queries = 0;
    for (const so of objects.filter((o) => o.kind === "ScaledObject")) {
      const target = (so["spec"] as { scaleTargetRef: { name: ServiceName } }).scaleTargetRef.name;
      for (const t of (so["spec"] as { triggers: { type: string; metadata: Record<string, string> }[] }).triggers) {
        if (t.type !== "prometheus") continue;
        const query = t.metadata["query"]!;
        queries++;
        for (const [, metric] of query.matchAll(/\b(emuedit_[a-z0-9_]+)\b/g)) {
          const sources = [...new Set<ServiceName>([target, "gateway"])];
          const from = sources.find((n) => exported(exposition[n], metric!));
          if (from === undefined) {
            problems.push(`${so.metadata.name}: ${metric} is exported by none of ${sources.join(", ")} (query ${query})`);
            continue;
          }
          // Label matchers name values the exporter really uses (stage="unet", model=~"vae_encoder|vae_decoder").
          for (const m of query.matchAll(new RegExp(`${metric}\\{([^}]*)\\}`, "g"))) {
            for (const [, label, op, value] of m[1]!.matchAll(/(\w+)(=~|=)"([^"]*)"/g)) {
              if (label === "namespace") continue; // added by Prometheus's pod discovery, not by the service
              const seen = labelValues(exposition[from], metric!, label!);
              for (const v of op === "=~" ? value!.split("|") : [value!]) {
                if (!seen.has(v)) problems.push(`${so.metadata.name}: ${metric}{${label}="${v}"} not among ${from}'s series (${[...seen].join(", ") || "none"})`);
              }
            }
          }
        }
      }
    }
    assert.ok(queries >= 4, `only ${queries} Prometheus triggers found`);
    assert.deepEqual(problems, []);
  });
});
