import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { activeSpan, InMemorySpanExporter, REPLICA_ATTRIBUTE, startTelemetry, withSpan } from "../src/index.js";

describe("replica", () => {
  test("replica - every span names the replica (host name + port); activeSpan reaches the span a handler runs in", async () => {
    const exporter = new InMemorySpanExporter();
    const telemetry = await startTelemetry({ serviceName: "replica-test", spanExporter: exporter, replicaPort: 50063 });
    let spans;
    try {
      await withSpan("outer", {}, async () => {
        activeSpan()?.setAttribute("emuedit.task", "remove");
        await withSpan("inner", {}, () => undefined);
      });
      assert.equal(activeSpan(), undefined, "none outside a span");
      await telemetry.forceFlush();
      // Read before shutdown, which empties the in-memory exporter.
      spans = exporter.getFinishedSpans();
    } finally {
      await telemetry.shutdown();
    }
    assert.deepEqual(spans.map((s) => s.name).sort(), ["inner", "outer"]);
    for (const s of spans) assert.equal(s.attributes[REPLICA_ATTRIBUTE], `${hostname()}:50063`);
    assert.equal(spans.find((s) => s.name === "outer")?.attributes["emuedit.task"], "remove");
    assert.equal(spans[0]?.resource.attributes["service.instance.id"], `${hostname()}:50063`);
  });
});
