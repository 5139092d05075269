// The unet service's handlers on a real gRPC server, real ONNX sessions and a private
// nats-server: latents are published per step, and an interrupted edit resumed from its
// JetStream checkpoint ends bit-identical to an uninterrupted one.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { loadModelPackage, type ModelPackage } from "@emuedit/model-package";
import { connectNats, createLatentPublisher, ensureLatentStream, readCheckpoint, trackConnection, watchLatents, type LatentPublisher } from "@emuedit/nats";
import { createSessionPool, type SessionPool } from "@emuedit/onnx-runtime";
import { createDenoiserStage } from "@emuedit/stages";
import { addService, createClient, DenoiserService, GrpcError, GrpcStatus, type Client } from "@emuedit/proto";
import { createLogger, startGrpcServer, type GrpcServerHandle } from "@emuedit/service-kit";
import { tensorFromProto, tensorToProto } from "@emuedit/tensors";
import { startNatsServer, waitFor, type NatsServerHandle } from "@emuedit/testing";
import { denoiserHandlers } from "../src/handlers.js";

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/fixture-tiny");
let nats: NatsServerHandle;
let nc: NatsConnection;
let pool: SessionPool;
let server: GrpcServerHandle;
let client: Client<typeof DenoiserService>;
let pkg: ModelPackage;
let publisher: LatentPublisher;

before(async () => {
  pkg = await loadModelPackage(FIXTURE);
  // A small max payload sends the fixture's latents (with the multistep history) through the
  // object store, the path large models take.
  nats = await startNatsServer({ maxPayload: 8192 });
  nc = await connectNats(nats.url);
  await ensureLatentStream(await jetstreamManager(nc));
  pool = await createSessionPool({ modelPath: pkg.unet.path, workers: 1, intraOpThreads: 1 });
  publisher = createLatentPublisher(nc);
  const log = createLogger("unet-test", { sink: () => undefined });
  const stage = createDenoiserStage(pkg, pool);
  server = await startGrpcServer({
    name: "unet",
    host: "127.0.0.1",
    port: 0,
    maxMessageBytes: 4 * 1024 * 1024,
    log,
    register: (s) => addService(s, DenoiserService, denoiserHandlers({ pkg, stage, limits: { maxSteps: 200, maxGuidanceScale: 30 }, publisher, js: jetstream(nc), nats: trackConnection(nc), log })),
  });
  client = createClient(DenoiserService, server.address);
});

after(async () => {
  client?.close();
  await server?.shutdown({ delayMs: 0, graceMs: 1000 });
  await pool?.close();
  await nc?.close();
  await nats?.stop();
});

/** Deterministic pseudo-random inputs of the model's shapes. */
function request(editId: string, steps: number) {
  let s = 1;
  const rand = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1);
  const { sequenceLength: l, hiddenDim: d } = pkg.textEncoder;
  return {
    editId,
    imageLatent: tensorToProto({ dtype: "float32", shape: [1, 4, 16, 16], data: rand(1024) }),
    textEmbeddings: tensorToProto({ dtype: "float32", shape: [1, l, d], data: rand(l * d) }),
    uncondEmbeddings: tensorToProto({ dtype: "float32", shape: [1, l, d], data: rand(l * d) }),
    taskEmbedding: tensorToProto({ dtype: "float32", shape: [pkg.unet.taskEmbeddingDim!], data: pkg.tasks[1]!.embedding }),
    steps,
    guidanceScale: 3,
    imageGuidanceScale: 1.5,
    seed: 77,
    scheduler: "DPMSolverMultistepScheduler",
  };
}

describe("denoiser service", () => {
  test("unet - an edit interrupted mid-loop and resumed from its checkpoint ends bit-identical", async () => {
    const STEPS = 150;
    const full = tensorFromProto((await client.denoise(request("full-run", STEPS), { deadlineMs: 60000 })).latent!);
    // A finished edit's checkpoint (message and object) is gone by the time its reply arrives.
    assert.equal(await readCheckpoint(jetstream(nc), "full-run"), null);
    assert.equal(publisher.trackedEdits, 0);

    // Interrupt: cancel the call once a few steps are checkpointed in JetStream.
    const watch = watchLatents(nc, "cut-run");
    await watch.ready;
    const cancel = new AbortController();
    const first = client.denoise(request("cut-run", STEPS), { deadlineMs: 60000, signal: cancel.signal });
    let cutAt = 0;
    for await (const cp of watch) {
      if (cp.step >= 5) {
        cutAt = cp.step;
        cancel.abort();
        break;
      }
    }
    await assert.rejects(first, (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.CANCELLED);
    // The cancelled edit leaves nothing behind in the publisher; its checkpoint stays in JetStream
    // for whoever resumes it.
    await waitFor(() => publisher.trackedEdits === 0, { timeoutMs: 5000, description: "the aborted edit released" });
    assert.ok(((await readCheckpoint(jetstream(nc), "cut-run"))?.step ?? 0) >= cutAt);

    // Resume on "another replica": only the edit id and from_checkpoint say where to continue.
    const steps: number[] = [];
    const watch2 = watchLatents(nc, "cut-run");
    await watch2.ready;
    const following = (async () => {
      for await (const cp of watch2) steps.push(cp.step);
    })();
    const resumed = await client.denoise({ ...request("cut-run", STEPS), resume: { fromCheckpoint: true } }, { deadlineMs: 60000 });
    await following;
    assert.ok(cutAt >= 5 && steps[0]! > cutAt, `resumed after step ${cutAt}, first new step ${steps[0]}`);
    assert.equal(steps.at(-1), STEPS);
    assert.equal(await readCheckpoint(jetstream(nc), "cut-run"), null, "the resumed edit finished: its checkpoint is purged");
    const out = tensorFromProto(resumed.latent!);
    assert.ok(Buffer.from((out.data as Float32Array).buffer).equals(Buffer.from((full.data as Float32Array).buffer)), "bit-identical to the uninterrupted run");
  });

  test("unet - bad requests are INVALID_ARGUMENT naming the field", async () => {
    const bad = async (patch: Record<string, unknown>, includes: string) =>
      assert.rejects(
        client.denoise({ ...request("bad", 4), ...patch }, { deadlineMs: 5000 }),
        (e: unknown) => e instanceof GrpcError && e.grpcCode === GrpcStatus.INVALID_ARGUMENT && e.grpcDetails.includes(includes),
        includes,
      );
    await bad({ editId: "no spaces allowed" }, "edit");
    await bad({ steps: 0 }, "steps");
    await bad({ steps: 201 }, "steps");
    await bad({ guidanceScale: -1 }, "guidance_scale");
    await bad({ imageLatent: tensorToProto({ dtype: "float32", shape: [1, 3, 16, 16], data: new Float32Array(768) }) }, "image_latent");
    await bad({ textEmbeddings: undefined }, "text_embeddings");
    await bad({ taskEmbedding: tensorToProto({ dtype: "float32", shape: [3], data: new Float32Array(3) }) }, "task_embedding");
    await bad({ scheduler: "NoSuchScheduler" }, "NoSuchScheduler");
  });
});
