import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import {
  canConnect,
  NatsServerNotFoundError,
  readServerInfo,
  startNatsServer,
  type NatsServerHandle,
} from "../src/index.js";

describe("nats-server", () => {
  const handles: NatsServerHandle[] = [];
  after(async () => {
    for (const h of handles) await h.stop();
  });

  test("startNatsServer - serves JetStream on a private 127.0.0.1 port", async () => {
    const server = await startNatsServer();
    handles.push(server);
    assert.notEqual(server.port, 4222);
    assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
    const info = await readServerInfo(server.port);
    assert.ok(info);
    assert.equal(info["jetstream"], true);
    assert.equal(info["max_payload"], 1024 * 1024);
    assert.ok((await stat(server.storeDir)).isDirectory());
  });

  test("startNatsServer - maxPayload sets the server's max_payload", async () => {
    const server = await startNatsServer({ maxPayload: 4096 });
    handles.push(server);
    const info = await readServerInfo(server.port);
    assert.equal(info?.["max_payload"], 4096);
  });

  test("stop - closes the port and removes the store dir", async () => {
    const server = await startNatsServer();
    await server.stop();
    assert.equal(await canConnect(server.port), false);
    await assert.rejects(stat(server.storeDir), { code: "ENOENT" });
    await server.stop();
  });

  test("kill then restart - same port and store dir serve again", async () => {
    const server = await startNatsServer();
    handles.push(server);
    const firstPid = server.pid;
    server.kill();
    await server.restart();
    assert.notEqual(server.pid, firstPid);
    const info = await readServerInfo(server.port);
    assert.equal(info?.["jetstream"], true);
    assert.ok((await stat(server.storeDir)).isDirectory());
  });

  test("startNatsServer - a bad argument fails with the server's output", async () => {
    await assert.rejects(startNatsServer({ extraArgs: ["--no-such-flag"] }), (err: Error) => {
      assert.equal(err.name, "NatsServerStartError");
      assert.match(err.message, /no-such-flag/);
      return true;
    });
  });

  test("startNatsServer - missing binary says how to install it", async () => {
    const saved = process.env["NATS_SERVER_BIN"];
    process.env["NATS_SERVER_BIN"] = "/nonexistent/nats-server";
    try {
      await assert.rejects(startNatsServer(), (err: unknown) => {
        assert.ok(err instanceof NatsServerNotFoundError);
        assert.match(err.message, /apt-get install -y nats-server/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env["NATS_SERVER_BIN"];
      else process.env["NATS_SERVER_BIN"] = saved;
    }
  });
});
