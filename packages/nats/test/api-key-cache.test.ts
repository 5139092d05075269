// The API key cache against a real nats-server: lookups need the exact key, and a key created or
// revoked after start() is followed through the bucket's watch, also when the revocation races
// a full reload.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, waitFor, type NatsServerHandle } from "@emuedit/testing";
import { connectNats, createApiKeyCache, openApiKeyStore, openKvBucket, type ApiKeyStore } from "../src/index.js";

let nats: NatsServerHandle;
let nc: NatsConnection;
let store: ApiKeyStore;
before(async () => {
  nats = await startNatsServer();
  nc = await connectNats(nats.url);
  store = await openApiKeyStore(nc, { bucket: "test_api_keys" });
});
after(async () => {
  await nc?.close();
  await nats?.stop();
});

describe("api keys", () => {
  test("api keys - lookup needs the exact key; creation and revocation reach a started cache", async () => {
    const first = await store.create({ name: "first", scopes: ["edit"] });
    // A short full reload period: revocations must also survive reloads racing the watch.
    const cache = createApiKeyCache(nc, store, { refreshMs: 100 });
    await cache.start();
    try {
      assert.equal(cache.lookup(first.key)?.name, "first");
      assert.equal(cache.lookup(first.key.replace(/.$/, (c) => (c === "A" ? "B" : "A"))), null, "one character off");
      assert.equal(cache.lookup("emk_nothex_x"), null);
      const second = await store.create({ name: "second", scopes: ["admin"], limits: { burst: 3 } });
      await waitFor(() => cache.lookup(second.key) !== null, { timeoutMs: 5000, description: "the new key in the cache" });
      assert.deepEqual(cache.lookup(second.key)?.limits, { burst: 3 });
      assert.equal(await store.revoke(first.record.id), true);
      await waitFor(() => cache.lookup(first.key) === null, { timeoutMs: 5000, description: "the revoked key gone" });
      // Several reload periods later it is still gone.
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(cache.lookup(first.key), null);
      assert.equal(cache.size, 1);
    } finally {
      cache.close();
    }
  });

  test("api keys - scopes and limits are checked before anything is stored", async () => {
    await assert.rejects(store.create({ name: "x", scopes: [] }), /scopes/);
    await assert.rejects(store.create({ name: "x", scopes: ["root" as never] }), /scope: must be one of edit, admin/);
    await assert.rejects(store.create({ name: "x", scopes: ["edit"], limits: { ratePerS: -1 } }), /ratePerS: must be a positive number/);
  });

  test("buckets - replicas and ttl reach the stream's configuration", async () => {
    const kv = await openKvBucket(nc, "test_bucket_options", { description: "t", ttlMs: 60_000, replicas: 1 });
    const status = await kv.status();
    assert.equal(status.replicas, 1);
    assert.equal(status.ttl, 60_000);
  });
});
