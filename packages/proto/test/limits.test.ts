import { test, describe } from "node:test";
import assert from "node:assert/strict";
import {
  addService,
  createClient,
  DType,
  GrpcStatus,
  grpcChannelOptions,
  VaeService,
  DEFAULT_MAX_MESSAGE_BYTES,
} from "@emuedit/proto";
import { startServer } from "./serve.js";

describe("limits", () => {
  test("limits - grpcChannelOptions maps onto grpc-js keys with defaults", () => {
    assert.deepEqual(grpcChannelOptions({ maxMessageBytes: 1024, keepaliveTimeMs: 5000, keepaliveTimeoutMs: 2000 }), {
      "grpc.max_receive_message_length": 1024,
      "grpc.max_send_message_length": 1024,
      "grpc.keepalive_time_ms": 5000,
      "grpc.keepalive_timeout_ms": 2000,
      "grpc.keepalive_permit_without_calls": 1,
    });
    assert.equal(grpcChannelOptions()["grpc.max_receive_message_length"], DEFAULT_MAX_MESSAGE_BYTES);
  });

  test("limits - messages over maxMessageBytes are RESOURCE_EXHAUSTED both ways", async () => {
    let handled = 0;
    const { address, stop } = await startServer(
      (server) =>
        addService(server, VaeService, {
          async encode(request) {
            handled++;
            return { latents: request.images };
          },
          async decode() {
            // 8 KiB: over the client's receive limit below.
            return { images: { dtype: DType.DTYPE_UINT8, shape: [8192], data: new Uint8Array(8192) } };
          },
        }),
      grpcChannelOptions({ maxMessageBytes: 4096 }),
    );
    const client = createClient(VaeService, address, { channelOptions: grpcChannelOptions({ maxMessageBytes: 4096 }) });
    const roomy = createClient(VaeService, address, { channelOptions: grpcChannelOptions({ maxMessageBytes: 1 << 20 }) });
    try {
      const small = { images: { dtype: DType.DTYPE_UINT8, shape: [1024], data: new Uint8Array(1024) } };
      const big = { images: { dtype: DType.DTYPE_UINT8, shape: [8192], data: new Uint8Array(8192) } };
      assert.equal((await client.encode(small, { deadlineMs: 5000 })).latents?.data.length, 1024);
      // Client refuses to send over its own limit; the server refuses to receive over its limit.
      await assert.rejects(client.encode(big, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED });
      await assert.rejects(roomy.encode(big, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED });
      // The client refuses to receive a response over its limit.
      await assert.rejects(client.decode({}, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED });
      assert.equal(handled, 1);
    } finally {
      client.close();
      roomy.close();
      stop();
    }
  });
});
