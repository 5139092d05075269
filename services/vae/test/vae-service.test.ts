// The vae service's handlers behind a real gRPC server on loopback, with real ONNX sessions.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import { fixedImageSize, loadModelPackage } from "@emuedit/model-package";
import { createVaeStage } from "@emuedit/stages";
import { addService, createClient, GrpcError, GrpcStatus, VaeService, type Client } from "@emuedit/proto";
import { createLogger, startGrpcServer, type GrpcServerHandle } from "@emuedit/service-kit";
import { tensorFromProto, tensorToProto } from "@emuedit/tensors";
import { vaeHandlers } from "../src/handlers.js";

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
let server: GrpcServerHandle;
let client: Client<typeof VaeService>;
let pools: SessionPool[];
let fixed: { width: number; height: number } | null;

before(async () => {
  const pkg = await loadModelPackage(FIXTURE);
  const opts = { workers: 1, intraOpThreads: 1 };
  const [encoder, decoder] = await Promise.all([
    createSessionPool({ modelPath: pkg.vaeEncoder.path, ...opts }),
    createSessionPool({ modelPath: pkg.vaeDecoder.path, ...opts }),
  ]);
  pools = [encoder, decoder];
  const stage = createVaeStage(pkg, { encoder, decoder });
  fixed = fixedImageSize(pkg);
  const log = createLogger("vae-test", { sink: () => undefined });
  server = await startGrpcServer({
    name: "vae",
    host: "127.0.0.1",
    port: 0,
    maxMessageBytes: 4 * 1024 * 1024,
    log,
    register: (s) => addService(s, VaeService, vaeHandlers(stage, { maxBatch: 2, maxSidePx: 128 }, log)),
  });
  client = createClient(VaeService, server.address);
});

after(async () => {
  client?.close();
  await server?.shutdown({ delayMs: 0, graceMs: 1000 });
  await Promise.all(pools.map((p) => p.close()));
});

const images = (n: number, h: number, w: number, value = 128) =>
  tensorToProto({ dtype: "uint8", shape: [n, h, w, 3], data: new Uint8Array(n * h * w * 3).fill(value) });

async function rejectsWith(p: Promise<unknown>, code: GrpcStatus, includes: string) {
  await assert.rejects(p, (e: unknown) => e instanceof GrpcError && e.grpcCode === code && e.grpcDetails.includes(includes), includes);
}

describe("vae service", () => {
  test("vae - encode then decode keeps the image shape; latents are [N,4,h/4,w/4]", async () => {
    const enc = await client.encode({ images: images(2, 64, 64) }, { deadlineMs: 10000 });
    const z = tensorFromProto(enc.latents!);
    assert.deepEqual(z.shape, [2, 4, 16, 16]);
    const dec = await client.decode({ latents: enc.latents!, sourceImages: images(2, 64, 64) }, { deadlineMs: 10000 });
    assert.deepEqual(tensorFromProto(dec.images!).shape, [2, 64, 64, 3]);
  });

  test("vae - fixture-tiny's decoder reads the source images: they change the output, and are required", async () => {
    const { latents } = await client.encode({ images: images(1, 64, 64) }, { deadlineMs: 10000 });
    const decode = async (value: number) =>
      tensorFromProto((await client.decode({ latents: latents!, sourceImages: images(1, 64, 64, value) }, { deadlineMs: 10000 })).images!).data;
    const [grey, white, greyAgain] = [await decode(128), await decode(255), await decode(128)];
    assert.deepEqual(greyAgain, grey);
    assert.notDeepEqual(white, grey);
    await rejectsWith(client.decode({ latents: latents! }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "source_images: this model's decoder reads");
    // the source must be the decoded size, one per latent, uint8
    await rejectsWith(client.decode({ latents: latents!, sourceImages: images(1, 32, 32) }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "source_images");
    await rejectsWith(client.decode({ latents: latents!, sourceImages: images(2, 64, 64) }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "source_images");
    const f32 = tensorToProto({ dtype: "float32", shape: [1, 64, 64, 3], data: new Float32Array(64 * 64 * 3) });
    await rejectsWith(client.decode({ latents: latents!, sourceImages: f32 }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "source_images");
  });

  test("vae - a size the export cannot take is INVALID_ARGUMENT, or works where dims are dynamic", async () => {
    const call = client.encode({ images: images(1, 64, 32) }, { deadlineMs: 10000 });
    if (fixed) await rejectsWith(call, GrpcStatus.INVALID_ARGUMENT, `exactly ${fixed.width}x${fixed.height}`);
    else assert.deepEqual(tensorFromProto((await call).latents!).shape, [1, 4, 16, 8]);
  });

  test("vae - bad tensors are INVALID_ARGUMENT naming the problem", async () => {
    await rejectsWith(client.encode({}, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "images: required");
    await rejectsWith(client.encode({ images: images(3, 8, 8) }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "batch must be 1..2");
    await rejectsWith(client.encode({ images: images(1, 256, 8) }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "at most 128 px");
    await rejectsWith(client.encode({ images: images(1, 10, 8) }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "images");
    const f32 = tensorToProto({ dtype: "float32", shape: [1, 8, 8, 3], data: new Float32Array(192) });
    await rejectsWith(client.encode({ images: f32 }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "images");
    const short = { ...images(1, 8, 8), data: new Uint8Array(10) };
    await rejectsWith(client.encode({ images: short }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "images");
    const wrongChannels = tensorToProto({ dtype: "float32", shape: [1, 3, 4, 4], data: new Float32Array(48) });
    await rejectsWith(client.decode({ latents: wrongChannels }, { deadlineMs: 5000 }), GrpcStatus.INVALID_ARGUMENT, "latents");
  });

  test("vae - health reports SERVING only once marked ready", async () => {
    const { checkHealth } = await import("@emuedit/proto");
    assert.equal(await checkHealth(server.address, "", 2000), "NOT_SERVING");
    server.health.setStatus("", "SERVING");
    assert.equal(await checkHealth(server.address, "", 2000), "SERVING");
  });
});
