import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, waitFor, type NatsServerHandle } from "@emuedit/testing";
import { connectNats, createTaskCache, natsReady, openTaskRegistry, type TaskCache } from "../src/index.js";
import { task } from "./fixtures.js";

const VISIBLE_WITHIN_MS = 2000;

describe("task cache", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  const caches: TaskCache[] = [];
  before(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, { reconnectTimeWaitMs: 100 });
  });
  after(async () => {
    for (const c of caches) c.close();
    await nc?.close();
    await server?.stop();
  });

  test("cache - loads all tasks and counts hits and misses", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "cache_load" });
    await registry.seed([task(0, "add"), task(1, "remove")]);
    const cache = createTaskCache(registry);
    caches.push(cache);
    await cache.start();
    assert.equal(cache.size, 2);
    assert.deepEqual(cache.get("remove"), task(1, "remove"));
    assert.equal(cache.get("missing"), undefined);
    assert.deepEqual(cache.stats, { hits: 1, misses: 1 });
    assert.deepEqual(cache.list().map((t) => t.id), [0, 1]);
  });

  test("cache - sees a new task, a change and a delete without restart", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "cache_live" });
    await registry.put(task(0, "add"));
    const changes: string[] = [];
    const cache = createTaskCache(registry, { onChange: (c) => changes.push(`${c.op} ${c.name}`) });
    caches.push(cache);
    await cache.start();
    await registry.put(task(5, "style"));
    await waitFor(() => cache.get("style"), { timeoutMs: VISIBLE_WITHIN_MS, description: "new task in cache" });
    await registry.put({ ...task(0, "add"), description: "v2" });
    await waitFor(() => cache.get("add")?.description === "v2", { timeoutMs: VISIBLE_WITHIN_MS, description: "changed task in cache" });
    await registry.delete("add");
    await waitFor(() => cache.get("add") === undefined, { timeoutMs: VISIBLE_WITHIN_MS, description: "deleted task gone" });
    assert.deepEqual(changes, ["PUT style", "PUT add", "DEL add"]);
  });

  test("cache - keeps serving and catches up across a NATS server restart", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "cache_restart" });
    await registry.put(task(1, "segment"));
    const errors: Error[] = [];
    const cache = createTaskCache(registry, { minBackoffMs: 50, maxBackoffMs: 500, onError: (e) => errors.push(e) });
    caches.push(cache);
    await cache.start();
    await registry.put(task(3, "texture"));
    await waitFor(() => cache.get("texture"), { timeoutMs: VISIBLE_WITHIN_MS, description: "watch established" });

    server.kill();
    await server.restart();
    await waitFor(() => natsReady(nc), { timeoutMs: 10_000, description: "client reconnected" });
    assert.ok(cache.get("segment"), "entries survive the outage");

    await registry.put(task(2, "detect"));
    // Well under the 5 s JetStream request timeout: a watch stuck on a lost request fails this.
    await waitFor(() => cache.get("detect"), { timeoutMs: 3000, description: "put after restart visible" });
    await registry.delete("segment");
    await waitFor(() => cache.get("segment") === undefined, { timeoutMs: VISIBLE_WITHIN_MS, description: "delete after restart visible" });
  });
});
