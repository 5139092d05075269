import { test, describe, after, before } from "node:test";
import assert from "node:assert/strict";
import { Metadata } from "@grpc/grpc-js";
import { EmueditError, Status } from "@emuedit/errors";
import {
  addService,
  createClient,
  DType,
  EditorService,
  GrpcError,
  GrpcStatus,
  grpcChannelOptions,
  grpcServiceDefinition,
  VaeService,
  type CallContext,
  type ServiceImpl,
} from "@emuedit/proto";
import { deferred, startServer } from "./serve.js";

/** Resolves with the handler's context once its signal aborts. */
function waitForAbort(ctx: CallContext): Promise<never> {
  return new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true }));
}

describe("grpc adapter", () => {
  const seen = { aborted: deferred<unknown>(), metadata: "", peer: "", deadline: undefined as Date | undefined };
  const resetAbort = () => (seen.aborted = deferred<unknown>());

  const vae: ServiceImpl<typeof VaeService> = {
    async encode(request, ctx) {
      seen.metadata = String(ctx.metadata.get("x-edit-id")[0] ?? "");
      seen.peer = ctx.peer;
      seen.deadline = ctx.deadline;
      const images = request.images;
      if (images === undefined) throw new GrpcError(GrpcStatus.INVALID_ARGUMENT, "images is required");
      if (images.shape[0] === 0) throw new Error("boom: empty batch");
      if (images.shape[0] === 99) {
        ctx.signal.addEventListener("abort", () => seen.aborted.resolve(ctx.signal.reason), { once: true });
        return waitForAbort(ctx);
      }
      return { latents: { dtype: DType.DTYPE_FLOAT32, shape: [images.shape[0]!, 4, 8, 8], data: images.data } };
    },
    decode: (() => {
      throw new Error("synchronous throw");
    }) as unknown as ServiceImpl<typeof VaeService>["decode"],
  };

  const editor: ServiceImpl<typeof EditorService> = {
    async edit() {
      return { id: "x" };
    },
    async *editStream(request, ctx) {
      const total = request.edit?.steps ?? 3;
      try {
        for (let step = 1; step <= total; step++) {
          yield { event: { case: "progress", value: { step, totalSteps: total, stage: "denoise" } } };
          if (request.edit?.instruction === "fail") throw new GrpcError(GrpcStatus.UNAVAILABLE, "unet went away");
          if (request.edit?.instruction === "hang") await waitForAbort(ctx);
        }
        yield { event: { case: "result", value: { id: "edit-1", task: "global" } } };
      } finally {
        if (ctx.signal.aborted) seen.aborted.resolve(ctx.signal.reason);
      }
    },
    async listTasks() {
      return { tasks: [{ name: "global", group: "free-form" }] };
    },
  };

  let address = "";
  let stop = () => {};
  let vaeClient: ReturnType<typeof createClient<typeof VaeService>>;
  let editorClient: ReturnType<typeof createClient<typeof EditorService>>;

  before(async () => {
    ({ address, stop } = await startServer((server) => {
      addService(server, VaeService, vae);
      addService(server, EditorService, editor);
    }, grpcChannelOptions()));
    vaeClient = createClient(VaeService, address);
    editorClient = createClient(EditorService, address);
    await vaeClient.waitForReady(5000);
  });
  after(() => {
    vaeClient.close();
    editorClient.close();
    stop();
  });

  test("definition - paths, streaming flags and codecs come from the descriptors", () => {
    const def = grpcServiceDefinition(EditorService);
    assert.deepEqual(Object.keys(def).sort(), ["edit", "editStream", "listTasks"]);
    assert.equal(def.editStream!.path, "/emuedit.v1.EditorService/EditStream");
    assert.equal(def.editStream!.responseStream, true);
    assert.equal(def.edit!.responseStream, false);
    assert.equal(grpcServiceDefinition(VaeService).encode!.path, "/emuedit.v1.VaeService/Encode");
  });

  test("unary - request and response round-trip with metadata and deadline", async () => {
    const metadata = new Metadata();
    metadata.set("x-edit-id", "e-42");
    const data = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const before = Date.now();
    const response = await vaeClient.encode(
      { images: { dtype: DType.DTYPE_UINT8, shape: [1, 1, 2, 3], data } },
      { deadlineMs: 5000, metadata },
    );
    assert.equal(response.latents?.dtype, DType.DTYPE_FLOAT32);
    assert.deepEqual(response.latents?.shape, [1, 4, 8, 8]);
    assert.deepEqual(response.latents?.data, data);
    assert.equal(seen.metadata, "e-42");
    assert.match(seen.peer, /127\.0\.0\.1/);
    // The server rebuilds the deadline from the grpc-timeout header on arrival: it trails the
    // client's by the transit time (connection setup included on this first call).
    const serverDeadline = seen.deadline?.getTime() ?? Number.NaN;
    assert.ok(serverDeadline > before + 4000 && serverDeadline < before + 6500, `deadline ${serverDeadline - before} ms after the call`);
  });

  test("streaming - progress events then one result", async () => {
    const events = [];
    for await (const item of editorClient.editStream({ edit: { steps: 3 } }, { deadlineMs: 5000 })) events.push(item.event);
    assert.deepEqual(events.map((e) => e.case), ["progress", "progress", "progress", "result"]);
    assert.equal(events[3]?.case === "result" && events[3].value.id, "edit-1");
  });

  test("errors - a thrown GrpcError reaches the client with its code and details", async () => {
    await assert.rejects(vaeClient.encode({}, { deadlineMs: 5000 }), (err: unknown) => {
      assert.ok(err instanceof GrpcError);
      assert.equal(err.grpcCode, GrpcStatus.INVALID_ARGUMENT);
      assert.equal(err.grpcDetails, "images is required");
      return true;
    });
  });

  test("errors - an EmueditError thrown by a handler arrives with its status and public code", async () => {
    const server = await startServer((s) =>
      addService(s, VaeService, {
        encode: async () => {
          throw new EmueditError(Status.Unprocessable, "name a task", { code: "task_unclear" });
        },
        decode: async () => {
          throw new EmueditError(Status.ResourceExhausted, "queue full");
        },
      }),
    );
    const client = createClient(VaeService, server.address);
    try {
      await assert.rejects(client.encode({}, { deadlineMs: 5000 }), (err: unknown) => {
        assert.ok(err instanceof GrpcError);
        assert.equal(err.grpcCode, GrpcStatus.FAILED_PRECONDITION);
        assert.equal(err.status, Status.Unprocessable);
        assert.equal(err.code, "task_unclear");
        assert.equal(err.grpcDetails, "name a task");
        return true;
      });
      await assert.rejects(client.decode({}, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.RESOURCE_EXHAUSTED, status: Status.ResourceExhausted, code: "resource_exhausted" });
    } finally {
      client.close();
      server.stop();
    }
  });

  test("errors - any other error is INTERNAL with its message and no stack", async () => {
    const empty = { images: { dtype: DType.DTYPE_UINT8, shape: [0, 1, 1, 3] } };
    await assert.rejects(vaeClient.encode(empty, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.INTERNAL, grpcDetails: "boom: empty batch" });
    await assert.rejects(vaeClient.decode({}, { deadlineMs: 5000 }), { grpcCode: GrpcStatus.INTERNAL, grpcDetails: "synchronous throw" });
  });

  test("errors - a stream fails after its first message with the thrown status", async () => {
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const item of editorClient.editStream({ edit: { instruction: "fail" } }, { deadlineMs: 5000 })) got.push(item.event.case ?? "");
      })(),
      { name: "GrpcError", grpcCode: GrpcStatus.UNAVAILABLE, grpcDetails: "unet went away" },
    );
    assert.deepEqual(got, ["progress"]);
  });

  test("deadline - exceeded is DEADLINE_EXCEEDED and aborts the handler's signal", async () => {
    resetAbort();
    const hang = { images: { dtype: DType.DTYPE_UINT8, shape: [99] } };
    await assert.rejects(vaeClient.encode(hang, { deadlineMs: 150 }), { grpcCode: GrpcStatus.DEADLINE_EXCEEDED });
    const reason = await seen.aborted.promise;
    assert.ok(reason instanceof GrpcError);
    assert.ok(reason.grpcCode === GrpcStatus.DEADLINE_EXCEEDED || reason.grpcCode === GrpcStatus.CANCELLED);
  });

  test("cancel - aborting a unary call cancels it and aborts the handler's signal", async () => {
    resetAbort();
    const controller = new AbortController();
    const call = vaeClient.encode({ images: { shape: [99] } }, { deadlineMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(call, { grpcCode: GrpcStatus.CANCELLED });
    assert.equal(((await seen.aborted.promise) as GrpcError).grpcCode, GrpcStatus.CANCELLED);
  });

  test("cancel - aborting a stream aborts the handler and ends the iteration with CANCELLED", async () => {
    resetAbort();
    const controller = new AbortController();
    const stream = editorClient.editStream({ edit: { instruction: "hang" } }, { deadlineMs: 5000, signal: controller.signal });
    await assert.rejects(
      (async () => {
        for await (const _ of stream) controller.abort();
      })(),
      { grpcCode: GrpcStatus.CANCELLED },
    );
    assert.equal(((await seen.aborted.promise) as GrpcError).grpcCode, GrpcStatus.CANCELLED);
  });

  test("cancel - breaking out of a stream early stops the server handler", async () => {
    resetAbort();
    for await (const _ of editorClient.editStream({ edit: { instruction: "hang" } }, { deadlineMs: 5000 })) break;
    assert.equal(((await seen.aborted.promise) as GrpcError).grpcCode, GrpcStatus.CANCELLED);
  });

  test("cancel - an already aborted signal never starts the call", async () => {
    const signal = AbortSignal.abort();
    await assert.rejects(vaeClient.encode({}, { deadlineMs: 5000, signal }), { grpcCode: GrpcStatus.CANCELLED });
  });

  test("client - deadlineMs is required and must be positive", async () => {
    await assert.rejects(vaeClient.encode({}, {} as { deadlineMs: number }), TypeError);
    await assert.rejects(vaeClient.encode({}, { deadlineMs: 0 }), TypeError);
    assert.throws(() => editorClient.editStream({}, { deadlineMs: Number.NaN }), TypeError);
  });

  test("client - an unreachable server is UNAVAILABLE or DEADLINE_EXCEEDED, never a hang", async () => {
    const client = createClient(VaeService, "127.0.0.1:1");
    try {
      await assert.rejects(client.encode({}, { deadlineMs: 500 }), (err: unknown) => {
        assert.ok(err instanceof GrpcError);
        assert.ok([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED].includes(err.grpcCode), String(err.grpcCode));
        return true;
      });
      await assert.rejects(client.waitForReady(200), { grpcCode: GrpcStatus.UNAVAILABLE });
    } finally {
      client.close();
    }
  });
});

test("types - handlers and clients are checked against the descriptors", () => {
  const impl: ServiceImpl<typeof VaeService> = {
    // @ts-expect-error Encode answers with latents, not images
    async encode() {
      return { images: {} };
    },
    async decode() {
      return {};
    },
  };
  const client = createClient(VaeService, "127.0.0.1:1");
  try {
    // @ts-expect-error every call needs a deadline
    void client.decode({}, {}).catch(() => undefined);
    // @ts-expect-error no such method
    assert.equal(client.denoise, undefined);
  } finally {
    client.close();
  }
  assert.equal(typeof impl.encode, "function");
});
