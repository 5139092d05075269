import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { startTelemetry, withSpan } from "../src/index.js";

describe("otlp", () => {
  test("otlp - spans are posted as OTLP/HTTP protobuf to <endpoint>/v1/traces", async () => {
    const requests: { url: string | undefined; type: string | undefined; body: Buffer }[] = [];
    const collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        requests.push({ url: req.url, type: req.headers["content-type"], body: Buffer.concat(chunks) });
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const { port } = collector.address() as AddressInfo;
    const telemetry = await startTelemetry({ serviceName: "otlp-test", otlpEndpoint: `http://127.0.0.1:${port}/` });
    try {
      await withSpan("exported-span", {}, () => undefined);
      await telemetry.forceFlush();
    } finally {
      await telemetry.shutdown();
      await new Promise((resolve) => collector.close(resolve));
    }
    const traces = requests.filter((r) => r.url === "/v1/traces");
    assert.ok(traces.length >= 1, `no export; got ${JSON.stringify(requests.map((r) => r.url))}`);
    assert.equal(traces[0]?.type, "application/x-protobuf");
    // The protobuf carries span names and the service name as plain UTF-8 strings.
    const body = Buffer.concat(traces.map((r) => r.body)).toString("latin1");
    assert.ok(body.includes("exported-span"));
    assert.ok(body.includes("otlp-test"));
  });
});
