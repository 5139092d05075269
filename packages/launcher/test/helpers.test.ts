import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { freePort, tempDir, waitFor, WaitTimeoutError } from "../src/index.js";

describe("helpers", () => {
  test("freePort - returns a port that can be bound on 127.0.0.1", async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
    assert.notEqual(port, 4222);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test("tempDir - creates a directory and cleanup removes it with contents", async () => {
    const dir = await tempDir("emuedit-test-");
    assert.ok((await stat(dir.path)).isDirectory());
    await writeFile(join(dir.path, "x.txt"), "x");
    await dir.cleanup();
    await assert.rejects(stat(dir.path), { code: "ENOENT" });
    await dir.cleanup();
  });

  test("waitFor - resolves with the first truthy value", async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `done after ${calls}` : undefined), { intervalMs: 1 });
    assert.equal(value, "done after 3");
  });

  test("waitFor - times out with the last predicate error as cause", async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor(() => { throw new Error("not yet"); }, { timeoutMs: 60, intervalMs: 10, description: "never" }),
      (err: unknown) => {
        assert.ok(err instanceof WaitTimeoutError);
        assert.match(err.message, /never/);
        assert.equal((err.cause as Error).message, "not yet");
        return true;
      },
    );
    assert.ok(Date.now() - started >= 60);
  });
});
