import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { startNatsServer, type NatsServerHandle } from "@emuedit/testing";
import {
  connectNats,
  InvalidSessionIdError,
  openSessionStore,
  SESSION_BUCKET,
  SESSION_OBJECT_BUCKET,
  SessionNotFoundError,
  TurnState,
  type SessionRecord,
  type SessionStore,
} from "../src/index.js";

const RETENTION_MS = 3_600_000;

function session(id: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id,
    createdAt: now,
    updatedAt: now,
    expiresAt: now + RETENTION_MS,
    head: 0,
    turns: [{ id: 0, parent: null, state: TurnState.Succeeded, createdAt: now, image: { mimeType: "image/png", width: 2, height: 2, bytes: 3 } }],
    ...overrides,
  };
}

describe("session store", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  let store: SessionStore;
  before(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url);
    store = await openSessionStore(nc, { retentionMs: RETENTION_MS });
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  test("sessions - create stores the record and turn 0's image; ids are checked; a second create fails", async () => {
    const image = new Uint8Array([137, 80, 78]);
    const created = await store.create(session("s-1"), image);
    assert.deepEqual((await store.get("s-1"))?.record, created.record);
    assert.ok(Buffer.from((await store.getImage("s-1", 0))!).equals(image));
    assert.equal(await store.getImage("s-1", 1), null);
    await assert.rejects(store.create(session("s-1"), image));
    assert.equal(await store.get("s-404"), null);
    await assert.rejects(store.get("bad id"), InvalidSessionIdError);
    await assert.rejects(store.get("../x"), InvalidSessionIdError);
  });

  test("sessions - mutate is revision-checked: concurrent turns each land once", async () => {
    await store.create(session("s-cas"), new Uint8Array(1));
    await Promise.all(
      Array.from({ length: 6 }, () =>
        store.mutate("s-cas", (r) => ({ ...r, turns: [...r.turns, { id: r.turns.length, parent: 0, state: TurnState.Running, createdAt: Date.now() }] })),
      ),
    );
    const turns = (await store.get("s-cas"))!.record.turns;
    assert.deepEqual(turns.map((t) => t.id), [0, 1, 2, 3, 4, 5, 6]);
    await assert.rejects(store.mutate("s-none", (r) => r), SessionNotFoundError);
  });

  test("sessions - an expired session is gone for readers and writers", async () => {
    await store.create(session("s-old", { expiresAt: Date.now() - 1 }), new Uint8Array(1));
    assert.equal(await store.get("s-old"), null);
    await assert.rejects(store.mutate("s-old", (r) => r), SessionNotFoundError);
  });

  test("sessions - delete removes the record and the images; count sees sessions", async () => {
    const before = await store.count();
    await store.create(session("s-del"), new Uint8Array([1]));
    await store.putImage("s-del", 1, new Uint8Array([2]));
    await store.mutate("s-del", (r) => ({ ...r, turns: [...r.turns, { id: 1, parent: 0, state: TurnState.Succeeded, createdAt: 1 }] }));
    assert.equal(await store.count(), before + 1);
    await store.delete("s-del");
    assert.equal(await store.get("s-del"), null);
    assert.equal(await store.getImage("s-del", 0), null);
    assert.equal(await store.getImage("s-del", 1), null);
    await assert.rejects(store.delete("s-del"), SessionNotFoundError);
  });

  test("sessions - buckets expire entries after the retention", async () => {
    const jsm = await jetstreamManager(nc);
    for (const stream of [`KV_${SESSION_BUCKET}`, `OBJ_${SESSION_OBJECT_BUCKET}`]) {
      const info = await jsm.streams.info(stream);
      assert.equal(info.config.max_age, RETENTION_MS * 1_000_000, stream);
    }
  });
});
