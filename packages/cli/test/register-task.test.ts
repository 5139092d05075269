// `emuedit register-task` against a real nats-server: the entry lands in the KV registry that
// gateways watch; bad files are usage errors and send nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { connectNats, openTaskRegistry } from "@emuedit/nats";
import { startNatsServer, type NatsServerHandle } from "@emuedit/testing";
import { main } from "../src/index.js";

let nats: NatsServerHandle;
let dir: string;

before(async () => {
  nats = await startNatsServer();
  dir = await mkdtemp(path.join(os.tmpdir(), "emuedit-cli-"));
});
after(async () => nats?.stop());

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: { write: (s: string) => void out.push(s), isTTY: false }, stderr: { write: (s: string) => void err.push(s), isTTY: false } },
    out,
    err,
  };
}

describe("register-task", () => {
  test("register-task - the entry is in emuedit_tasks, marked as a user task", async () => {
    const file = path.join(dir, "contour.json");
    const embedding = [0.25, -1.5, 3, 0.125];
    await writeFile(file, JSON.stringify({ id: 16, name: "contour", group: "vision", description: "outline an object", examples: ["outline the circle"], embedding }));
    const t = io();
    const code = await main(["register-task", file, "--nats", nats.url], t.io as never);
    assert.equal(code, 0, t.err.join(""));
    assert.match(t.out.join(""), /registered task contour \(4 values\)/);
    const j = io();
    assert.equal(await main(["register-task", file, "--nats", nats.url, "--json"], j.io as never), 0);
    const line = JSON.parse(j.out.join("")) as { bucket: string; key: string; revision: number };
    assert.deepEqual([line.bucket, line.key], ["emuedit_tasks", "contour"]);
    assert.ok(line.revision > 1);
    const nc = await connectNats(nats.url);
    try {
      const entry = await (await openTaskRegistry(nc)).get("contour");
      assert.deepEqual(Array.from(entry!.embedding), embedding);
      assert.equal(entry!.origin, "user");
    } finally {
      await nc.close();
    }
  });

  test("register-task - an embedding of another length than the served model's is refused, nothing is written", async () => {
    const nc = await connectNats(nats.url);
    try {
      const registry = await openTaskRegistry(nc);
      // what a gateway seeds from its package: 6-value task vectors
      await registry.seed([{ id: 0, name: "add", group: "region", description: "", examples: [], embedding: new Float32Array(6), origin: "package:m:abc" }]);
      const file = path.join(dir, "foreign.json");
      await writeFile(file, JSON.stringify({ id: 17, name: "foreign", group: "vision", description: "", examples: [], embedding: [1, 2, 3] }));
      const t = io();
      assert.equal(await main(["register-task", file, "--nats", nats.url], t.io as never), 2);
      assert.match(t.err.join(""), /has 3 values, but the model whose tasks are in emuedit_tasks takes 6/);
      assert.equal(await registry.get("foreign"), null);
      const fits = path.join(dir, "fits.json");
      await writeFile(fits, JSON.stringify({ id: 17, name: "fits", group: "vision", description: "", examples: [], embedding: [1, 2, 3, 4, 5, 6] }));
      const ok = io();
      assert.equal(await main(["register-task", fits, "--nats", nats.url], ok.io as never), 0, ok.err.join(""));
      assert.equal((await registry.get("fits"))?.embedding.length, 6);
      await registry.delete("add");
      await registry.delete("fits");
    } finally {
      await nc.close();
    }
  });

  test("register-task - a malformed entry is a usage error naming the problem", async () => {
    const file = path.join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ id: 1, name: "bad", group: "vision", description: "", examples: [], embedding: [] }));
    const t = io();
    assert.equal(await main(["register-task", file, "--nats", nats.url], t.io as never), 2);
    assert.match(t.err.join(""), /embedding/);
    const missing = io();
    assert.equal(await main(["register-task", path.join(dir, "nope.json")], missing.io as never), 2);
    assert.match(missing.err.join(""), /cannot read/);
  });
});
