// OpenTelemetry across processes: one edit is one trace through the gateway and the three
// model services (HTTP -> gRPC client/server spans, W3C context on every hop).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { createClient, EditorService } from "@emuedit/proto";
import { waitFor } from "@emuedit/testing";
import { startOtlpCollector } from "./otlp-collector.js";
import { ACCEPT_ANY_TASK, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

let sys: RunningSystem;
let collector: Awaited<ReturnType<typeof startOtlpCollector>>;
const gatewayLines: string[] = [];

before(async () => {
  collector = await startOtlpCollector();
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: (service, line) => void (service === "gateway" && gatewayLines.push(line)),
    env: { ...ACCEPT_ANY_TASK, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: "100" },
  });
});

after(async () => {
  await sys?.stop();
  await collector?.close();
});

describe("telemetry", () => {
  test("traces - one edit is one trace through all four services", async () => {
    const res = await postEdit(sys.httpUrl, { image: await sceneBytes(), instruction: "remove the circle", task: "remove", steps: "3" });
    assert.equal(res.status, 200);
    const services = ["emuedit-gateway", "emuedit-text-encoder", "emuedit-vae", "emuedit-unet"];
    const trace = await waitFor(
      () => {
        const root = collector.spans.find((s) => s.service === "emuedit-gateway" && s.parentSpanId === "" && /POST/.test(s.name));
        if (!root) return null;
        const inTrace = collector.spans.filter((s) => s.traceId === root.traceId);
        return services.every((svc) => inTrace.some((s) => s.service === svc)) ? inTrace : null;
      },
      { timeoutMs: 15000, intervalMs: 100, description: "spans of all four services in one trace" },
    );
    const names = trace.map((s) => `${s.service}:${s.name}`);
    for (const rpc of ["TextEncoderService/Encode", "VaeService/Encode", "DenoiserService/Denoise", "VaeService/Decode"]) {
      assert.ok(names.some((n) => n.includes(rpc)), `${rpc} in ${names.join(", ")}`);
    }
    assert.ok(names.some((n) => n.startsWith("emuedit-gateway:emuedit.decode")), "gateway stage spans");
    // The request's log line names its trace.
    const id = res.headers.get("x-edit-id")!;
    const line = gatewayLines.find((l) => l.includes(" request ") && l.includes(`edit_id=${id}`));
    assert.ok(line?.includes(`trace_id=${trace[0]!.traceId}`), `log line ${line} names trace ${trace[0]!.traceId}`);
  });

  test("traces - a streamed edit's latents continue its trace: publish in the unet, receive in the gateway", async () => {
    const client = createClient(EditorService, sys.grpcAddress);
    let editId = "";
    try {
      for await (const ev of client.editStream({ edit: { image: await sceneBytes(), instruction: "x", task: "remove", steps: 3 } }, { deadlineMs: 20000 })) {
        if (ev.event.case === "result") editId = ev.event.value.id;
      }
    } finally {
      client.close();
    }
    assert.ok(editId);
    const spans = await waitFor(
      () => {
        const receives = collector.spans.filter((s) => s.name === "emuedit.latent.receive");
        const publishes = collector.spans.filter((s) => s.name === "emuedit.latent.publish");
        const mine = receives.filter((r) => publishes.some((p) => p.spanId === r.parentSpanId && p.traceId === r.traceId));
        return mine.length >= 3 ? { receives: mine, publishes } : null;
      },
      { timeoutMs: 15000, intervalMs: 100, description: "three received latents, each the child of its publish" },
    );
    const [first] = spans.receives;
    assert.equal(first!.service, "emuedit-gateway");
    const publish = spans.publishes.find((p) => p.spanId === first!.parentSpanId)!;
    assert.equal(publish.service, "emuedit-unet");
    // ... and the publish belongs to the edit's trace: its parent is the Denoise server span,
    // whose trace began at the gateway's EditStream call.
    const trace = collector.spans.filter((s) => s.traceId === publish.traceId);
    const parent = trace.find((s) => s.spanId === publish.parentSpanId);
    assert.ok(parent && /DenoiserService\/Denoise/.test(parent.name) && parent.service === "emuedit-unet", `publish's parent: ${parent?.service}:${parent?.name}`);
    assert.ok(trace.some((s) => s.service === "emuedit-gateway" && /EditorService\/EditStream/.test(s.name)), "the trace starts at the gateway's EditStream");
  });
});

describe("telemetry - one edit, one trace", () => {
  test("traces - a streamed edit's spans across four services and NATS share one trace id, every parent in it, with the attributes people filter on", async () => {
    const client = createClient(EditorService, sys.grpcAddress);
    let editId = "";
    try {
      for await (const ev of client.editStream({ edit: { image: await sceneBytes(), instruction: "y", task: "local", steps: 4 } }, { deadlineMs: 20000 })) {
        if (ev.event.case === "result") editId = ev.event.value.id;
      }
    } finally {
      client.close();
    }
    assert.ok(editId);
    const SERVER = 2;
    const CLIENT = 3;
    // 1. The whole trace: its root is the gateway's EditStream server span of this edit, and it
    //    is complete once four publishes and their four receptions are in.
    const trace = await waitFor(
      () => {
        const root = collector.spans.find((s) => s.kind === SERVER && /EditorService\/EditStream/.test(s.name) && s.attributes["emuedit.edit_id"] === editId);
        if (!root) return null;
        const spans = collector.spans.filter((s) => s.traceId === root.traceId);
        const count = (name: string) => spans.filter((s) => s.name === name).length;
        return count("emuedit.latent.publish") === 4 && count("emuedit.latent.receive") === 4 && spans.some((s) => /VaeService\/Decode/.test(s.name) && s.kind === SERVER)
          ? { root, spans }
          : null;
      },
      { timeoutMs: 15000, intervalMs: 100, description: "the streamed edit's whole trace" },
    );
    const { root, spans } = trace;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const label = (s: (typeof spans)[number]) => `${s.service}:${s.name}`;
    const parentOf = (s: (typeof spans)[number]) => byId.get(s.parentSpanId);

    // 2. One root; every other span's parent is in the trace.
    assert.equal(root.parentSpanId, "");
    for (const s of spans) if (s !== root) assert.ok(parentOf(s), `${label(s)}: its parent ${s.parentSpanId} is in the trace`);
    assert.deepEqual(new Set(spans.map((s) => s.service)), new Set(["emuedit-gateway", "emuedit-text-encoder", "emuedit-vae", "emuedit-unet"]));

    // 3. Each model service's server span is the child of the gateway's client span of that call.
    const calls = [
      ["TextEncoderService/Encode", "emuedit-text-encoder"],
      ["VaeService/Encode", "emuedit-vae"],
      ["DenoiserService/Denoise", "emuedit-unet"],
      ["VaeService/Decode", "emuedit-vae"],
    ] as const;
    for (const [rpc, service] of calls) {
      const server = spans.find((s) => s.kind === SERVER && s.name.endsWith(rpc) && s.service === service);
      assert.ok(server, `${service} served ${rpc}`);
      const client = parentOf(server);
      assert.ok(client?.kind === CLIENT && client.service === "emuedit-gateway" && client.name.endsWith(rpc), `${rpc}: parent ${client && label(client)}`);
    }

    // 4. Latents: each publish is a child of the Denoise server span; each reception at the
    //    gateway is a child of its publish (the trace context crossed NATS in the headers).
    const denoise = spans.find((s) => s.kind === SERVER && s.name.endsWith("DenoiserService/Denoise"))!;
    const publishes = spans.filter((s) => s.name === "emuedit.latent.publish");
    for (const p of publishes) {
      assert.equal(p.parentSpanId, denoise.spanId, "publish under Denoise");
      assert.equal(p.service, "emuedit-unet");
      assert.ok(Number(p.attributes["emuedit.batch_size"]) >= 1, "publish: emuedit.batch_size");
    }
    assert.deepEqual(publishes.map((p) => p.attributes["emuedit.step"]).sort(), [1, 2, 3, 4]);
    for (const r of spans.filter((s) => s.name === "emuedit.latent.receive")) {
      assert.equal(r.service, "emuedit-gateway");
      assert.equal(parentOf(r)?.name, "emuedit.latent.publish");
      assert.equal(parentOf(r)?.attributes["emuedit.step"], r.attributes["emuedit.step"]);
    }

    // 5. What a person filters on: task and steps on the root, steps and batch size on Denoise,
    //    and on every span the replica (host name + the port it serves) that made it.
    assert.equal(root.attributes["emuedit.task"], "local");
    assert.equal(root.attributes["emuedit.steps"], 4);
    assert.equal(root.attributes["emuedit.outcome"], "ok");
    assert.equal(denoise.attributes["emuedit.steps"], 4);
    assert.equal(denoise.attributes["emuedit.edit_id"], editId);
    assert.ok(Number(denoise.attributes["emuedit.batch_size"]) >= 1);
    const ports: Record<string, string> = {
      "emuedit-text-encoder": sys.addresses["text-encoder"].split(":")[1]!,
      "emuedit-vae": sys.addresses.vae.split(":")[1]!,
      "emuedit-unet": sys.addresses.unet.split(":")[1]!,
      "emuedit-gateway": new URL(sys.httpUrl).port,
    };
    for (const s of spans) {
      const replica = String(s.attributes["emuedit.replica"] ?? "");
      assert.ok(replica.endsWith(`:${ports[s.service]}`), `${label(s)}: emuedit.replica ${replica}`);
    }
  });
});
