import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { jetstream, jetstreamManager, DiscardPolicy, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { hostTensor } from "@emuedit/tensors";
import { startNatsServer, waitFor, type NatsServerHandle } from "@emuedit/testing";
import {
  connectNats,
  createLatentPublisher,
  ensureLatentStream,
  InvalidEditIdError,
  LATENT_OBJECT_BUCKET,
  LATENT_STREAM,
  LatentPublishError,
  maintainLatentStream,
  natsReady,
  openKvBucket,
  openLatentObjects,
  readCheckpoint,
  StreamConfigConflictError,
  StreamSetupError,
  watchLatents,
  type LatentCheckpoint,
} from "../src/index.js";

const latentOf = (step: number, n = 64) =>
  hostTensor("float32", [1, 4, Math.sqrt(n / 4), Math.sqrt(n / 4)], Float32Array.from({ length: n }, (_, i) => step * 1000 + i));

describe("latents", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, { name: "latents-test" });
    jsm = await jetstreamManager(nc);
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  test("connection - natsReady is true while connected and false once closed", async () => {
    assert.equal(await natsReady(nc), true);
    const other = await connectNats(server.url, { name: "closing" });
    await other.close();
    assert.equal(await natsReady(other), false);
  });

  test("publish - fails with a hint while the stream does not exist", async () => {
    const publisher = createLatentPublisher(nc, { timeoutMs: 1000 });
    await assert.rejects(
      publisher.publish({ editId: "early", step: 1, totalSteps: 1, timestep: 1, latent: latentOf(1), seed: 1 }),
      (err: Error) => err instanceof LatentPublishError && /ensureLatentStream/.test(err.message),
    );
  });

  test("stream - ensureLatentStream applies the documented config and is idempotent", async () => {
    await ensureLatentStream(jsm, { maxAgeMs: 60_000 });
    const info = await ensureLatentStream(jsm, { maxAgeMs: 90_000 });
    const c = info.config;
    assert.equal(c.name, LATENT_STREAM);
    assert.deepEqual(c.subjects, ["emuedit.latents.>"]);
    assert.equal(c.storage, StorageType.Memory, "memory by default: latents live seconds");
    assert.equal(c.num_replicas, 1);
    assert.equal(c.max_msgs_per_subject, 1);
    assert.equal(c.max_age, nanos(90_000));
    assert.equal(c.discard, DiscardPolicy.Old);
    assert.equal(c.allow_direct, true);
    assert.equal(c.max_bytes, -1);
    assert.equal((await jsm.streams.info(LATENT_STREAM)).config.max_age, nanos(90_000));
    assert.equal((await ensureLatentStream(jsm, { maxAgeMs: 90_000, maxBytes: 1 << 20 })).config.max_bytes, 1 << 20, "limits are updated in place");
  });

  test("stream - a stream of the other storage, or replicas a single server cannot hold, stop with a clear error", async () => {
    await assert.rejects(
      ensureLatentStream(jsm, { storage: "file" }),
      (err: Error) =>
        err instanceof StreamConfigConflictError &&
        /the latent stream \(stream EMUEDIT_LATENTS\) exists with storage memory \(the settings ask file\)/.test(err.message) &&
        /nats stream rm EMUEDIT_LATENTS/.test(err.message) &&
        /EMUEDIT_LATENT_STORAGE/.test(err.message),
    );
    await assert.rejects(
      ensureLatentStream(jsm, { replicas: 3 }),
      (err: Error) => err instanceof StreamSetupError && /cannot get 3 replicas: the NATS server is not clustered/.test(err.message),
    );
    await assert.rejects(
      openKvBucket(nc, "r3_on_one_server", { replicas: 3 }),
      (err: Error) => err instanceof StreamSetupError && /KV bucket r3_on_one_server/.test(err.message) && /replicas > 1 not supported/.test(err.message),
    );
    assert.equal((await jsm.streams.info(LATENT_STREAM)).config.storage, StorageType.Memory, "the stream is left as it was");
  });

  test("stream - with onRecreate, a stream and object bucket of the other storage are created anew (their latents are disposable)", async () => {
    const messages: string[] = [];
    const info = await ensureLatentStream(jsm, { storage: "file", onRecreate: (m) => messages.push(m) });
    assert.equal(info.config.storage, StorageType.File);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /the latent stream \(stream EMUEDIT_LATENTS\) exists with storage memory \(the settings ask file\): deleted and created anew/);
    const js = jetstream(nc);
    const objects = await openLatentObjects(js, { storage: "memory" });
    await objects.status();
    const objectMessages: string[] = [];
    await openLatentObjects(js, { storage: "file", onRecreate: (m) => objectMessages.push(m) });
    assert.equal((await jsm.streams.info(`OBJ_${LATENT_OBJECT_BUCKET}`)).config.storage, StorageType.File);
    assert.equal(objectMessages.length, 1);
    // Back to the suite's default for the tests after this one.
    await ensureLatentStream(jsm, { onRecreate: () => {} });
    await openLatentObjects(js, { onRecreate: () => {} });
  });

  test("stream - maintainLatentStream re-creates a memory stream lost with its server's restart", async () => {
    const own = await startNatsServer();
    const conn = await connectNats(own.url, { reconnectTimeWaitMs: 50 });
    try {
      const errors: unknown[] = [];
      await maintainLatentStream(conn, { storage: "memory" }, (err) => errors.push(err));
      own.kill();
      await own.restart();
      // The JetStream API answers once the restarted server and the reconnect are through
      // (seconds on a loaded machine), so the manager is made inside the wait too.
      const info = await waitFor(async () => (await jetstreamManager(conn, { timeout: 2000 })).streams.info(LATENT_STREAM), {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: "the stream back",
      });
      assert.equal(info.config.storage, StorageType.Memory);
      assert.deepEqual(errors, []);
    } finally {
      await conn.close();
      await own.stop();
    }
  });

  test("purge - an edit's checkpoint is removed, other edits' stay", async () => {
    const publisher = createLatentPublisher(nc);
    for (const editId of ["done", "running"]) {
      await publisher.publish({ editId, step: 1, totalSteps: 2, timestep: 1, latent: latentOf(1), seed: 1 });
    }
    await publisher.purge("done");
    assert.equal(await readCheckpoint(jetstream(nc), "done"), null);
    assert.equal((await readCheckpoint(jetstream(nc), "running"))?.step, 1);
    assert.equal(publisher.trackedEdits, 0);
    await assert.rejects(publisher.purge("no.dots"), InvalidEditIdError);
  });

  test("checkpoint - publish then readCheckpoint round trips headers and bytes", async () => {
    const publisher = createLatentPublisher(nc);
    const state = [Float32Array.from({ length: 64 }, (_, i) => -i)];
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const result = await publisher.publish({
      editId: "round-trip", step: 2, totalSteps: 5, timestep: 801, latent: latentOf(2),
      schedulerState: state, seed: 42, traceContext: { traceparent },
    });
    assert.equal(result.objectName, undefined);
    const stored = await jsm.direct.getMessage(LATENT_STREAM, { last_by_subj: "emuedit.latents.round-trip" });
    assert.ok(stored);
    assert.equal(stored.header.get("Emuedit-Step"), "2");
    assert.equal(stored.header.get("Emuedit-Total-Steps"), "5");
    assert.equal(stored.header.get("Emuedit-Timestep"), "801");
    assert.equal(stored.header.get("Emuedit-Dtype"), "float32");
    assert.equal(stored.header.get("Emuedit-Shape"), "1,4,4,4");
    assert.equal(stored.header.get("Emuedit-Seed"), "42");
    assert.equal(stored.header.get("Emuedit-State-Count"), "1");
    assert.equal(stored.header.get("traceparent"), traceparent);
    assert.deepEqual(new Float32Array(new Uint8Array(stored.data).buffer, 0, 64), latentOf(2).data);

    const checkpoint = await readCheckpoint(jetstream(nc), "round-trip");
    assert.ok(checkpoint);
    assert.equal(checkpoint.step, 2);
    assert.equal(checkpoint.seed, 42);
    assert.deepEqual(checkpoint.latent, latentOf(2));
    assert.deepEqual(checkpoint.schedulerState, state);
    assert.deepEqual(checkpoint.traceContext, { traceparent });
  });

  test("checkpoint - only the newest step is kept per edit", async () => {
    const publisher = createLatentPublisher(nc);
    for (let step = 1; step <= 3; step++) {
      await publisher.publish({ editId: "newest", step, totalSteps: 3, timestep: 1000 - step, latent: latentOf(step), seed: 7 });
    }
    const info = await jsm.streams.info(LATENT_STREAM, { subjects_filter: "emuedit.latents.newest" });
    assert.equal(info.state.subjects?.["emuedit.latents.newest"], 1);
    const checkpoint = await readCheckpoint(jetstream(nc), "newest");
    assert.equal(checkpoint?.step, 3);
    assert.deepEqual(checkpoint?.latent.data, latentOf(3).data);
  });

  test("checkpoint - unknown edit reads null, invalid edit id is refused", async () => {
    assert.equal(await readCheckpoint(jetstream(nc), "never-published"), null);
    await assert.rejects(readCheckpoint(jetstream(nc), "a.b"), InvalidEditIdError);
    await assert.rejects(readCheckpoint(jetstream(nc), "x".repeat(65)), InvalidEditIdError);
    const publisher = createLatentPublisher(nc);
    await assert.rejects(
      publisher.publish({ editId: "bad id", step: 1, totalSteps: 1, timestep: 1, latent: latentOf(1), seed: 1 }),
      InvalidEditIdError,
    );
  });

  test("watch - receives every step in order and ends after the last", async () => {
    const watch = watchLatents(nc, "watched");
    await watch.ready;
    const received: LatentCheckpoint[] = [];
    const consumed = (async () => {
      for await (const c of watch) received.push(c);
    })();
    const publisherConn = await connectNats(server.url);
    try {
      const publisher = createLatentPublisher(publisherConn);
      for (let step = 1; step <= 4; step++) {
        await publisher.publish({ editId: "watched", step, totalSteps: 4, timestep: step, latent: latentOf(step), seed: 3 });
      }
      await consumed;
    } finally {
      await publisherConn.close();
    }
    assert.deepEqual(received.map((c) => c.step), [1, 2, 3, 4]);
    assert.deepEqual(received[3]?.latent.data, latentOf(4).data);
  });

  test("watch - abort ends the iteration", async () => {
    const controller = new AbortController();
    const watch = watchLatents(nc, "aborted", { signal: controller.signal });
    await watch.ready;
    const done = (async () => {
      let count = 0;
      for await (const _ of watch) count++;
      return count;
    })();
    await createLatentPublisher(nc).publish({ editId: "aborted", step: 1, totalSteps: 9, timestep: 1, latent: latentOf(1), seed: 3 });
    setTimeout(() => controller.abort(), 50);
    assert.equal(await done, 1);
  });
});
