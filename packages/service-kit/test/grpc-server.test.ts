// Graceful shutdown on a real gRPC server: NOT_SERVING at once, still answering for the delay
// (clients move away), then refusing new calls while the one in flight finishes.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { addService, checkHealth, createClient, GrpcError, GrpcStatus, VaeService } from "@emuedit/proto";
import { startTelemetry } from "@emuedit/telemetry";
import { freePort } from "@emuedit/testing";
import { createLogger, startGrpcServer } from "../src/index.js";

const metricsPort = await freePort();
const telemetry = await startTelemetry({ serviceName: "grpc-server-test", metricsPort, metricsHost: "127.0.0.1" });
after(() => telemetry.shutdown());
const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

describe("grpc server", () => {
  test("metrics - emuedit_service_ready is 1 only while SERVING; calls are counted by method", async () => {
    const server = await startGrpcServer({
      name: "probe",
      host: "127.0.0.1",
      port: 0,
      maxMessageBytes: 4 * 1024 * 1024,
      log: createLogger("probe", { sink: () => undefined }),
      register: () => undefined,
    });
    try {
      assert.match(await scrape(), /^emuedit_service_ready\{service="probe"\} 0$/m, "loading: not ready");
      server.health.setStatus("", "SERVING");
      assert.match(await scrape(), /^emuedit_service_ready\{service="probe"\} 1$/m);
      for (let i = 0; i < 3; i++) await checkHealth(server.address, "", 2000);
      assert.match(await scrape(), /^emuedit_grpc_server_calls_total\{method="\/grpc\.health\.v1\.Health\/Check"\} 3$/m);
      await server.shutdown({ delayMs: 0, graceMs: 1000 });
      assert.match(await scrape(), /^emuedit_service_ready\{service="probe"\} 0$/m, "draining: not ready");
    } finally {
      await server.shutdown({ delayMs: 0, graceMs: 0 });
    }
  });

  test("shutdown - not serving at once, answers during the delay, then refuses new calls while the call in flight finishes", async () => {
    const lines: string[] = [];
    const server = await startGrpcServer({
      name: "vae",
      host: "127.0.0.1",
      port: 0,
      maxMessageBytes: 4 * 1024 * 1024,
      log: createLogger("vae", { sink: (l) => lines.push(l) }),
      register: (s) =>
        addService(s, VaeService, {
          // encode answers after `images.shape[0]` ms: a slow call stands for an edit in flight
          encode: async (req) => {
            await sleep(Number(req.images?.shape[0] ?? 0));
            return {};
          },
          decode: async () => ({}),
        }),
    });
    server.health.setStatus("", "SERVING");
    const client = createClient(VaeService, server.address);
    try {
      const slow = client.encode({ images: { shape: [1500] } }, { deadlineMs: 10_000 });
      await sleep(100);
      const stopped = server.shutdown({ delayMs: 600, graceMs: 5000 });
      assert.equal(await checkHealth(server.address, "", 1000), "NOT_SERVING");
      await client.encode({ images: { shape: [1] } }, { deadlineMs: 2000 }); // still answered during the delay
      await sleep(800);
      await assert.rejects(client.encode({ images: { shape: [1] } }, { deadlineMs: 2000 }), (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.UNAVAILABLE);
      await slow; // the call in flight finished
      await stopped;
      assert.ok(lines.some((l) => l.includes("not serving; still answering") && l.includes("delayMs=600")));
    } finally {
      client.close();
    }
  });
});
