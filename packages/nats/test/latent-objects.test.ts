import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { hostTensor } from "@emuedit/tensors";
import { startNatsServer, type NatsServerHandle } from "@emuedit/testing";
import {
  connectNats,
  createLatentPublisher,
  ensureLatentStream,
  LATENT_OBJECT_BUCKET,
  LATENT_STREAM,
  readCheckpoint,
  watchLatents,
  type LatentCheckpoint,
} from "../src/index.js";
import { Objm } from "@nats-io/obj";

// [1,4,16,16] float32 = 4 KiB, plus two state tensors = 12 KiB: over the 8 KiB max payload.
const N = 4 * 16 * 16;
const latentOf = (step: number) => hostTensor("float32", [1, 4, 16, 16], Float32Array.from({ length: N }, (_, i) => step + i / N));
const stateOf = (step: number) => [Float32Array.from({ length: N }, (_, i) => -step - i), new Float32Array(N).fill(step)];

describe("latents over max payload", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  before(async () => {
    server = await startNatsServer({ maxPayload: 8192 });
    nc = await connectNats(server.url);
    await ensureLatentStream(await jetstreamManager(nc));
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  test("object store - oversize latents go by reference and read back whole", async () => {
    assert.equal(nc.info?.max_payload, 8192);
    const watch = watchLatents(nc, "big");
    await watch.ready;
    const received: LatentCheckpoint[] = [];
    const consumed = (async () => {
      for await (const c of watch) received.push(c);
    })();
    const publisher = createLatentPublisher(nc);
    const objects = await new Objm(nc).open(LATENT_OBJECT_BUCKET, false);
    const publish = (step: number) => publisher.publish({
      editId: "big", step, totalSteps: 4, timestep: 10 * step, latent: latentOf(step), schedulerState: stateOf(step), seed: 5,
    });
    const results = [await publish(1), await publish(2), await publish(3)];
    // While the edit runs, the newest two steps' objects stay (a preview reader may lag one step).
    assert.equal(await objects.getBlob("big.1"), null);
    assert.equal((await objects.getBlob("big.2"))?.byteLength, 3 * N * 4);
    results.push(await publish(4));
    await consumed;
    assert.deepEqual(results.map((r) => r.objectName), ["big.1", "big.2", "big.3", "big.4"]);
    assert.equal(results[0]?.payloadBytes, 3 * N * 4);

    const stored = await (await jetstreamManager(nc)).direct.getMessage(LATENT_STREAM, { last_by_subj: "emuedit.latents.big" });
    assert.equal(stored?.header.get("Emuedit-Object"), "big.4");
    assert.equal(stored?.data.byteLength, 0);

    const checkpoint = await readCheckpoint(jetstream(nc), "big");
    assert.ok(checkpoint);
    assert.equal(checkpoint.step, 4);
    assert.deepEqual(checkpoint.latent.data, latentOf(4).data);
    assert.deepEqual(checkpoint.schedulerState, stateOf(4));

    // After the final step only its object stays, as the checkpoint.
    assert.equal(await objects.getBlob("big.2"), null);
    assert.equal(await objects.getBlob("big.3"), null);
    assert.equal((await objects.getBlob("big.4"))?.byteLength, 3 * N * 4);

    // Previews arrive in order; a step whose object was already retired is skipped.
    const steps = received.map((c) => c.step);
    assert.equal(steps.at(-1), 4);
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b));
    assert.deepEqual(received.at(-1)?.latent.data, latentOf(4).data);
  });

  test("object store - an edit that stops early is released: nothing of it stays tracked, its checkpoint stays", async () => {
    const publisher = createLatentPublisher(nc);
    const publish = (step: number) =>
      publisher.publish({ editId: "cut", step, totalSteps: 10, timestep: step, latent: latentOf(step), schedulerState: stateOf(step), seed: 5 });
    await publish(1);
    await publish(2);
    assert.equal(publisher.trackedEdits, 1, "an edit mid-run is tracked");
    publisher.release("cut");
    assert.equal(publisher.trackedEdits, 0, "an aborted edit leaves no entry behind");
    assert.equal((await readCheckpoint(jetstream(nc), "cut"))?.step, 2, "its checkpoint is still there to resume from");
  });

  test("object store - purge removes the edit's message and its objects", async () => {
    const publisher = createLatentPublisher(nc);
    const objects = await new Objm(nc).open(LATENT_OBJECT_BUCKET, false);
    const publish = (editId: string, step: number, totalSteps: number) =>
      publisher.publish({ editId, step, totalSteps, timestep: step, latent: latentOf(step), schedulerState: stateOf(step), seed: 5 });
    // A finished edit (only its final object is left) and one purged mid-run (two objects left).
    for (let step = 1; step <= 3; step++) await publish("finished", step, 3);
    await publish("failed", 1, 10);
    await publish("failed", 2, 10);
    assert.ok(await objects.getBlob("finished.3"));
    assert.ok(await objects.getBlob("failed.1"));
    await publisher.purge("finished");
    await publisher.purge("failed");
    for (const editId of ["finished", "failed"]) assert.equal(await readCheckpoint(jetstream(nc), editId), null);
    for (const name of ["finished.3", "failed.1", "failed.2"]) assert.equal(await objects.getBlob(name), null, `${name} deleted`);
    assert.equal(publisher.trackedEdits, 0);
  });

  test("object store - a small latent on the same server stays inline", async () => {
    const latent = hostTensor("float32", [1, 4, 8, 8], new Float32Array(256).fill(1));
    const result = await createLatentPublisher(nc).publish({ editId: "small", step: 1, totalSteps: 1, timestep: 1, latent, seed: 0 });
    assert.equal(result.objectName, undefined);
    assert.deepEqual((await readCheckpoint(jetstream(nc), "small"))?.latent.data, latent.data);
  });
});
