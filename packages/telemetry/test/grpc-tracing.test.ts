import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
// Imported (ESM) before startTelemetry, exactly as services do through @emuedit/proto.
import * as grpc from "@grpc/grpc-js";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { startTelemetry, withSpan, type Telemetry } from "../src/index.js";

const echo: grpc.MethodDefinition<Buffer, Buffer> = {
  path: "/test.Echo/Say",
  requestStream: false,
  responseStream: false,
  requestSerialize: (b) => b,
  requestDeserialize: (b) => b,
  responseSerialize: (b) => b,
  responseDeserialize: (b) => b,
};

describe("grpc tracing", () => {
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let server: grpc.Server;
  let port: number;
  before(async () => {
    telemetry = await startTelemetry({ serviceName: "grpc-test", spanExporter: exporter });
    server = new grpc.Server();
    server.addService({ Say: echo }, {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.concat([Buffer.from("echo:"), call.request])),
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  });
  after(async () => {
    server?.forceShutdown();
    await telemetry?.shutdown();
  });

  test("grpc - client and server spans share the trace of the caller's span", async () => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const reply = await withSpan("edit", { "emuedit.edit_id": "e1" }, () =>
      new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(echo.path, echo.requestSerialize, echo.responseDeserialize, Buffer.from("hi"), new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
          err || !res ? reject(err ?? new Error("empty reply")) : resolve(res),
        ),
      ),
    );
    client.close();
    assert.equal(reply.toString(), "echo:hi");
    await telemetry.forceFlush();
    const spans = exporter.getFinishedSpans();
    const find = (pred: (s: ReadableSpan) => boolean, what: string) => {
      const s = spans.find(pred);
      assert.ok(s, `${what} span missing; got ${spans.map((x) => `${x.name}/${SpanKind[x.kind]}`).join(", ")}`);
      return s;
    };
    const edit = find((s) => s.name === "edit", "edit");
    const clientSpan = find((s) => s.kind === SpanKind.CLIENT && s.name.includes("test.Echo/Say"), "grpc client");
    const serverSpan = find((s) => s.kind === SpanKind.SERVER && s.name.includes("test.Echo/Say"), "grpc server");
    const traceId = edit.spanContext().traceId;
    assert.equal(clientSpan.spanContext().traceId, traceId);
    assert.equal(serverSpan.spanContext().traceId, traceId);
    assert.equal(clientSpan.parentSpanContext?.spanId, edit.spanContext().spanId);
    assert.equal(serverSpan.parentSpanContext?.spanId, clientSpan.spanContext().spanId);
  });
});
