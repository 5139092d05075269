// OpenTelemetry across processes: one edit is one trace through the gateway and the three
// model services (HTTP -> gRPC client/server spans, W3C context on every hop).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { launchSystem, type RunningSystem } from "@emuedit/launcher";
import { waitFor } from "@emuedit/testing";
import { startOtlpCollector } from "./otlp-collector.js";
import { ACCEPT_ANY_TASK, FIXTURE_MODEL, postEdit, sceneBytes } from "./helpers.js";

let sys: RunningSystem;
let collector: Awaited<ReturnType<typeof startOtlpCollector>>;

before(async () => {
  collector = await startOtlpCollector();
  sys = await launchSystem({
    modelDir: FIXTURE_MODEL,
    privateNats: true,
    onLine: () => undefined,
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
  });
});
