import { test, describe, after } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import {
  canConnect,
  NatsServerNotFoundError,
  readServerInfo,
  startNatsServer,
  waitFor,
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

  test("stop - a clean stop exits 0, closes the port and removes the store dir", async () => {
    const server = await startNatsServer();
    assert.equal(await server.stop(), 0);
    assert.equal(await canConnect(server.port), false);
    await assert.rejects(stat(server.storeDir), { code: "ENOENT" });
    assert.equal(await server.stop(), null, "a second stop has nothing to stop");
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

describe("nats-server cleanup", () => {
  test("cleanup - SIGTERM to the test process takes its servers and temp dirs down with it", async () => {
    const { spawn } = await import("node:child_process");
    const script = `
      import { startNatsServer } from "./src/index.ts";
      const s = await startNatsServer();
      console.log(s.pid + " " + s.storeDir);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: new URL("..", import.meta.url).pathname,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [pid, storeDir] = await new Promise<[number, string]>((resolve, reject) => {
      child.stdout.once("data", (d: Buffer) => {
        const [p, dir] = d.toString().trim().split(" ");
        resolve([Number(p), dir ?? ""]);
      });
      child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    assert.ok(pid > 0);
    const exited = new Promise((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
    child.kill("SIGTERM");
    assert.equal(await exited, "SIGTERM");
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !alive(), { timeoutMs: 3000, description: "nats-server gone" });
    await assert.rejects(stat(storeDir), { code: "ENOENT" });
  });
});
