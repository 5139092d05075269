// The text-encoder service's handlers behind a real gRPC server with real ONNX sessions.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import { createTextStage } from "@emuedit/stages";
import { addService, createClient, GrpcError, GrpcStatus, TextEncoderService, type Client } from "@emuedit/proto";
import { createLogger, startGrpcServer, type GrpcServerHandle } from "@emuedit/service-kit";
import { tensorFromProto } from "@emuedit/tensors";
import { textEncoderHandlers } from "../src/handlers.js";

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
let pkg: ModelPackage;
let pools: SessionPool[];
let server: GrpcServerHandle;
let client: Client<typeof TextEncoderService>;

before(async () => {
  pkg = await loadModelPackage(FIXTURE);
  const opts = { workers: 1, intraOpThreads: 1 };
  const [textEncoder, taskClassifier] = await Promise.all([
    createSessionPool({ modelPath: pkg.textEncoder.path, ...opts }),
    createSessionPool({ modelPath: pkg.taskClassifier!.path, ...opts }),
  ]);
  pools = [textEncoder, taskClassifier];
  const log = createLogger("text-test", { sink: () => undefined });
  const stage = createTextStage(pkg, { textEncoder, taskClassifier });
  server = await startGrpcServer({
    name: "text-encoder",
    host: "127.0.0.1",
    port: 0,
    maxMessageBytes: 4 * 1024 * 1024,
    log,
    register: (s) => addService(s, TextEncoderService, textEncoderHandlers(stage, { maxTexts: 4, maxTextChars: 100 }, log)),
  });
  client = createClient(TextEncoderService, server.address);
});

after(async () => {
  client?.close();
  await server?.shutdown({ delayMs: 0, graceMs: 1000 });
  await Promise.all(pools.map((p) => p.close()));
});

describe("text-encoder service", () => {
  test("text-encoder - a batch gets hidden states, pooled output and task logits per row", async () => {
    const r = await client.encode({ texts: ["make the circle blue", "", "remove the square"] }, { deadlineMs: 10000 });
    const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
    assert.deepEqual(tensorFromProto(r.lastHiddenState!).shape, [3, l, d]);
    assert.deepEqual(tensorFromProto(r.pooledOutput!).shape, [3, d]);
    assert.deepEqual(tensorFromProto(r.taskLogits!).shape, [3, pkg.tasks.length]);
  });

  test("text-encoder - the same text encodes identically alone and in a batch", async () => {
    const alone = tensorFromProto((await client.encode({ texts: ["segment the triangle"] }, { deadlineMs: 10000 })).lastHiddenState!);
    const batch = tensorFromProto((await client.encode({ texts: ["x", "segment the triangle"] }, { deadlineMs: 10000 })).lastHiddenState!);
    const n = alone.data.length;
    const a = alone.data as Float32Array;
    const b = (batch.data as Float32Array).subarray(n, 2 * n);
    let maxDiff = 0;
    for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    assert.ok(maxDiff < 1e-5, `max diff ${maxDiff}`);
  });

  test("text-encoder - too many or too long texts are INVALID_ARGUMENT", async () => {
    const bad = (texts: string[], includes: string) =>
      assert.rejects(client.encode({ texts }, { deadlineMs: 5000 }), (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.INVALID_ARGUMENT && e.grpcDetails.includes(includes));
    await bad([], "1..4");
    await bad(["a", "b", "c", "d", "e"], "1..4");
    await bad(["ok", "x".repeat(101)], "texts[1]");
  });
});
