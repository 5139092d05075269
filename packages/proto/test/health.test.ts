import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  addService,
  checkHealth,
  createClient,
  createHealthService,
  GrpcStatus,
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "@emuedit/proto";
import { startServer } from "./serve.js";

describe("health", () => {
  test("health - Check reports each service's status, NOT_FOUND for unknown ones", async () => {
    const health = createHealthService();
    const { address, stop } = await startServer((server) => addService(server, Health, health.impl));
    try {
      assert.equal(await checkHealth(address, "", 2000), "SERVING");
      await assert.rejects(checkHealth(address, "emuedit.v1.VaeService", 2000), { grpcCode: GrpcStatus.NOT_FOUND });
      health.setStatus("emuedit.v1.VaeService", "NOT_SERVING");
      assert.equal(await checkHealth(address, "emuedit.v1.VaeService", 2000), "NOT_SERVING");
      health.setStatus("emuedit.v1.VaeService", "SERVING");
      assert.equal(await checkHealth(address, "emuedit.v1.VaeService", 2000), "SERVING");
      health.shutdown();
      health.setStatus("", "SERVING"); // ignored after shutdown
      assert.equal(await checkHealth(address, "", 2000), "NOT_SERVING");
      assert.equal(await checkHealth(address, "emuedit.v1.VaeService", 2000), "NOT_SERVING");
    } finally {
      stop();
    }
  });

  test("health - Watch sends the current status, then every change, until cancelled", async () => {
    const health = createHealthService({});
    const { address, stop } = await startServer((server) => addService(server, Health, health.impl));
    const client = createClient(Health, address);
    const controller = new AbortController();
    try {
      const seen: ServingStatus[] = [];
      const changes: (() => void)[] = [
        () => health.setStatus("unet", "NOT_SERVING"),
        () => {
          health.setStatus("other", "SERVING"); // not watched: no message
          health.setStatus("unet", "NOT_SERVING"); // unchanged: no message
          health.setStatus("unet", "SERVING");
        },
        () => health.shutdown(),
        () => controller.abort(),
      ];
      await assert.rejects(
        (async () => {
          for await (const response of client.watch({ service: "unet" }, { deadlineMs: 5000, signal: controller.signal })) {
            seen.push(response.status);
            changes.shift()?.();
          }
        })(),
        { grpcCode: GrpcStatus.CANCELLED },
      );
      assert.deepEqual(seen, [
        ServingStatus.SERVICE_UNKNOWN,
        ServingStatus.NOT_SERVING,
        ServingStatus.SERVING,
        ServingStatus.NOT_SERVING,
      ]);
    } finally {
      client.close();
      stop();
    }
  });

  test("health - checkHealth against nothing fails within its deadline", async () => {
    const started = Date.now();
    await assert.rejects(checkHealth("127.0.0.1:1", "", 300), (err: { grpcCode: number }) =>
      [GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED].includes(err.grpcCode),
    );
    assert.ok(Date.now() - started < 2000);
  });
});
