import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { startNatsServer, waitFor, type NatsServerHandle } from "@emuedit/testing";
import {
  connectNats,
  decodeTaskEntry,
  encodeTaskEntry,
  InvalidTaskNameError,
  openTaskRegistry,
  TASK_BUCKET,
  TaskEntryFormatError,
  type TaskChange,
} from "../src/index.js";
import { task } from "./fixtures.js";

describe("task registry", () => {
  let server: NatsServerHandle;
  let nc: NatsConnection;
  before(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url);
  });
  after(async () => {
    await nc?.close();
    await server?.stop();
  });

  test("entry - JSON encoding round trips float32 embeddings exactly", () => {
    const t = task(3, "remove", 32);
    const json = JSON.parse(new TextDecoder().decode(encodeTaskEntry(t)));
    assert.ok(Array.isArray(json.embedding));
    assert.deepEqual(decodeTaskEntry("remove", encodeTaskEntry(t)), t);
    assert.throws(() => decodeTaskEntry("other", encodeTaskEntry(t)), TaskEntryFormatError);
    assert.throws(() => decodeTaskEntry("x", new TextEncoder().encode("{")), TaskEntryFormatError);
  });

  test("registry - seed is idempotent and keeps a modified entry", async () => {
    const registry = await openTaskRegistry(nc);
    const tasks = [task(0, "add"), task(1, "remove"), task(2, "background")];
    assert.deepEqual(await registry.seed(tasks), { created: 3, kept: 0, replaced: 0 });
    const modified = { ...task(1, "remove"), description: "tuned by task inversion" };
    await registry.put(modified);
    assert.deepEqual(await registry.seed([...tasks, task(3, "style")]), { created: 1, kept: 3, replaced: 0 });
    assert.deepEqual(await registry.get("remove"), modified);
    assert.deepEqual((await registry.list()).map((t) => t.name), ["add", "remove", "background", "style"]);
    const status = await (await new Kvm(nc).open(TASK_BUCKET)).status();
    assert.equal(status.history, 1);
  });

  test("registry - a different model package's seed replaces package entries, never user ones", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "tasks_origin" });
    const a = (id: number, name: string) => ({ ...task(id, name, 8), origin: "package:model-a:111" });
    const b = (id: number, name: string) => ({ ...task(id, name, 16), origin: "package:model-b:222" });
    assert.deepEqual(await registry.seed([a(0, "add"), a(1, "remove")]), { created: 2, kept: 0, replaced: 0 });
    await registry.put({ ...task(1, "remove", 8), origin: "inversion" });
    assert.deepEqual(await registry.seed([a(0, "add"), a(1, "remove")]), { created: 0, kept: 2, replaced: 0 });
    assert.deepEqual(await registry.seed([b(0, "add"), b(1, "remove")]), { created: 0, kept: 1, replaced: 1 });
    assert.equal((await registry.get("add"))?.embedding.length, 16);
    assert.equal((await registry.get("remove"))?.origin, "inversion");
  });

  test("registry - delete removes, get of a missing task is null, bad names are refused", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "tasks_delete" });
    await registry.put(task(7, "sketch"));
    await registry.delete("sketch");
    assert.equal(await registry.get("sketch"), null);
    assert.deepEqual(await registry.list(), []);
    await assert.rejects(registry.get("Bad.Name"), InvalidTaskNameError);
    await assert.rejects(registry.put(task(1, "has space")), InvalidTaskNameError);
  });

  test("registry - list reports invalid values through onInvalid", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "tasks_invalid" });
    await registry.put(task(1, "good"));
    await (await new Kvm(nc).open("tasks_invalid")).put("broken", "not json");
    await assert.rejects(registry.list(), TaskEntryFormatError);
    const invalid: Error[] = [];
    assert.deepEqual((await registry.list({ onInvalid: (e) => invalid.push(e) })).map((t) => t.name), ["good"]);
    assert.equal(invalid.length, 1);
  });

  test("registry - watch yields puts and deletes in revision order", async () => {
    const registry = await openTaskRegistry(nc, { bucket: "tasks_watch" });
    await registry.put(task(1, "before"));
    const from = (await registry.revision()) + 1;
    const controller = new AbortController();
    const changes: TaskChange[] = [];
    const done = (async () => {
      for await (const c of registry.watch({ fromRevision: from, signal: controller.signal })) {
        changes.push(c);
        if (changes.length === 3) controller.abort();
      }
    })();
    // history is 1: a watcher only sees the surviving message of a key, so step one change at a time.
    await registry.put(task(2, "depth"));
    await waitFor(() => changes.length === 1, { description: "first put" });
    await registry.put({ ...task(2, "depth"), description: "v2" });
    await waitFor(() => changes.length === 2, { description: "second put" });
    await registry.delete("depth");
    await done;
    assert.deepEqual(changes.map((c) => [c.op, c.name]), [["PUT", "depth"], ["PUT", "depth"], ["DEL", "depth"]]);
    assert.equal(changes[1]?.task?.description, "v2");
    assert.ok(changes.every((c, i) => i === 0 || c.revision > (changes[i - 1]?.revision ?? 0)));
  });
});
