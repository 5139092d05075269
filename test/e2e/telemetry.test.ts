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
