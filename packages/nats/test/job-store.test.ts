import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "@emuedit/testing";
import {
  ACTIVE_JOB_BUCKET,
  connectNats,
  InvalidEditIdError,
  isTerminal,
  JOB_BUCKET,
  JobNotFoundError,
  JobState,
  openJobStore,
  openKvBucket,
  type JobRecord,
  type JobStore,
} from "../src/index.js";

function record(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    state: JobState.Queued,
    createdAt: 1,
    updatedAt: 1,
    request: { spec: { instruction: "x" } },
    step: 0,
    steps: 10,
    owner: "gw-a#1",
    leaseUntil: Date.now() + 10_000,
    attempts: 0,
    cancelRequested: false,
    ...overrides,
  };
}

describe("job store", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let store: JobStore;
  before(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url);
    store = await openJobStore(nc, { retentionMs: 3_600_000 });
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  test("jobs - create stores the record, the input and the active entry; a second create of the id fails", async () => {
    const input = new Uint8Array([1, 2, 3, 250]);
    const created = await store.create(record("job-1"), input);
    const got = await store.get("job-1");
    assert.deepEqual(got?.record, record("job-1", { leaseUntil: created.record.leaseUntil }));
    assert.equal(got?.revision, created.revision);
    assert.ok(Buffer.from((await store.readInput("job-1"))!).equals(input));
    assert.ok((await store.activeIds()).includes("job-1"));
    await assert.rejects(store.create(record("job-1"), input));
    assert.equal(await store.get("job-404"), null);
    await assert.rejects(store.get("bad id"), InvalidEditIdError);
  });

  test("jobs - mutate is revision-checked: concurrent writers each apply once, none is lost", async () => {
    await store.create(record("job-cas"), new Uint8Array(1));
    const writers = Array.from({ length: 8 }, () => store.mutate("job-cas", (r) => ({ ...r, step: r.step + 1 })));
    await Promise.all(writers);
    assert.equal((await store.get("job-cas"))?.record.step, 8);
    // What the change function throws ends the write, leaving the record as it was.
    await assert.rejects(
      store.mutate("job-cas", () => {
        throw new Error("not yours");
      }),
      /not yours/,
    );
    assert.equal((await store.get("job-cas"))?.record.step, 8);
    await assert.rejects(store.mutate("job-none", (r) => r), JobNotFoundError);
  });

  test("jobs - watch yields the current record, then each change", async () => {
    await store.create(record("job-watch"), new Uint8Array(1));
    const stop = new AbortController();
    const changes = store.watch("job-watch", stop.signal)[Symbol.asyncIterator]();
    const seen: string[] = [(await changes.next()).value!.record.state];
    await store.mutate("job-watch", (r) => ({ ...r, state: JobState.Running }));
    await store.mutate("job-watch", (r) => ({ ...r, state: JobState.Succeeded }));
    for (let r = await changes.next(); !r.done; r = await changes.next()) {
      seen.push(r.value.record.state);
      if (isTerminal(r.value.record.state)) stop.abort();
    }
    assert.deepEqual(seen, ["queued", "running", "succeeded"]);
  });

  test("jobs - results, input deletion and the active index", async () => {
    await store.create(record("job-res"), new Uint8Array(2));
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    await store.writeResult("job-res", bytes);
    assert.ok(Buffer.from((await store.readResult("job-res"))!).equals(bytes));
    await store.deleteInput("job-res");
    assert.equal(await store.readInput("job-res"), null);
    await store.deactivate("job-res");
    assert.ok(!(await store.activeIds()).includes("job-res"));
    assert.equal(await store.readResult("job-nothing"), null);
  });

  test("buckets - retention and replicas reach the streams", async () => {
    const jsm = await jetstreamManager(nc);
    for (const bucket of [JOB_BUCKET, ACTIVE_JOB_BUCKET]) {
      const info = await jsm.streams.info(`KV_${bucket}`);
      assert.equal(info.config.max_age, 3_600_000 * 1e6, `${bucket} max_age in ns`);
      assert.equal(info.config.num_replicas, 1);
    }
    await openKvBucket(nc, "emuedit_test_bucket", { description: "t", ttlMs: 5000, history: 3 });
    const info = await jsm.streams.info("KV_emuedit_test_bucket");
    assert.equal(info.config.max_msgs_per_subject, 3);
    assert.equal(info.config.max_age, 5000 * 1e6);
  });
});
