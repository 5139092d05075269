import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import {
  currentTraceId,
  extractTraceContext,
  injectTraceHeaders,
  startTelemetry,
  withContext,
  withSpan,
  type Telemetry,
} from "../src/index.js";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe("propagation", () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  before(async () => {
    telemetry = await startTelemetry({ serviceName: "propagation-test", spanExporter: exporter });
  });
  after(() => telemetry?.shutdown());

  test("headers - a span continues across inject and extract (NATS hop)", async () => {
    exporter.reset();
    // Producer side: the step span injects its context into the message headers.
    const headers = await withSpan("denoise.step", { step: 3 }, (span) => {
      const h = injectTraceHeaders();
      assert.equal(currentTraceId(), span.traceId);
      return h;
    });
    const match = TRACEPARENT.exec(headers["traceparent"] ?? "");
    assert.ok(match, `traceparent missing: ${JSON.stringify(headers)}`);
    // Consumer side, outside any span: extract from a get()-style header object (like MsgHdrs).
    assert.equal(currentTraceId(), undefined);
    const ctx = extractTraceContext({ get: (k: string) => headers[k] });
    await withContext(ctx, () => withSpan("gateway.preview", {}, async () => undefined));
    await telemetry.forceFlush();
    const [producer, consumer] = exporter.getFinishedSpans();
    assert.equal(producer?.name, "denoise.step");
    assert.equal(consumer?.name, "gateway.preview");
    assert.equal(consumer?.spanContext().traceId, producer?.spanContext().traceId);
    assert.equal(consumer?.spanContext().traceId, match[1]);
    assert.equal(consumer?.parentSpanContext?.spanId, producer?.spanContext().spanId);
    assert.equal(producer?.attributes["step"], 3);
  });

  test("headers - a plain record extracts too, and garbage yields a new root trace", async () => {
    exporter.reset();
    const headers = await withSpan("a", {}, () => injectTraceHeaders());
    await withContext(extractTraceContext(headers), () => withSpan("b", {}, () => undefined));
    await withContext(extractTraceContext({ traceparent: "not-a-traceparent" }), () => withSpan("c", {}, () => undefined));
    await telemetry.forceFlush();
    const [a, b, c] = exporter.getFinishedSpans();
    assert.equal(b?.parentSpanContext?.spanId, a?.spanContext().spanId);
    assert.equal(c?.parentSpanContext, undefined);
    assert.notEqual(c?.spanContext().traceId, a?.spanContext().traceId);
  });

  test("withSpan - records the exception, sets ERROR and rethrows", async () => {
    exporter.reset();
    await assert.rejects(withSpan("fails", { stage: "vae_decode" }, async () => {
      throw new RangeError("bad latent");
    }), RangeError);
    await telemetry.forceFlush();
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.status.message, "bad latent");
    assert.equal(span?.events[0]?.name, "exception");
    assert.equal(span?.attributes["stage"], "vae_decode");
  });

  test("withSpan - success sets OK and returns the value", async () => {
    exporter.reset();
    assert.equal(await withSpan("ok", {}, () => 42), 42);
    await telemetry.forceFlush();
    assert.equal(exporter.getFinishedSpans()[0]?.status.code, SpanStatusCode.OK);
  });
});
