// readBody against a real loopback HTTP server: the limit is enforced while the body streams in,
// the refusal reaches the client, an upload far past the limit is cut rather than read to its
// end, and a client that goes away mid-body does not leave it waiting.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { resetOrFail } from "@emuedit/testing";
import { EmueditError, HTTP_STATUS } from "@emuedit/errors";
import { readBody } from "../src/http-body.js";

const LIMIT = 64 * 1024;
let server: http.Server;
let url: string;
const outcomes: Array<{ ok: boolean; bytes?: number; status?: number }> = [];
const bytesRead: number[] = []; // per connection, when it closes
let settled: (() => void) | undefined;

before(async () => {
  server = http.createServer((req, res) => {
    const socket = req.socket;
    socket.once("close", () => bytesRead.push(socket.bytesRead));
    readBody(req, LIMIT).then(
      (body) => {
        outcomes.push({ ok: true, bytes: body.length });
        settled?.();
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(String(body.length));
      },
      (err: unknown) => {
        const status = err instanceof EmueditError ? HTTP_STATUS[err.status] : 500;
        outcomes.push({ ok: false, status });
        settled?.();
        if (res.destroyed) return;
        res.writeHead(status, { "content-type": "text/plain" }); // as the gateway's sendError
        res.end(err instanceof Error ? err.message : String(err));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

after(() => new Promise<void>((r) => server.close(() => r())));

async function waitUntil(cond: () => boolean, ms = 5000) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nextOutcome() {
  return new Promise<(typeof outcomes)[number]>((resolve) => {
    const n = outcomes.length;
    settled = () => {
      if (outcomes.length > n) resolve(outcomes[n]!);
    };
  });
}

/** Streams `total` bytes in chunks without Content-Length; resolves with the response status. */
function upload(total: number) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "transfer-encoding": "chunked" }, agent: false });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", resetOrFail(reject));
    const chunk = Buffer.alloc(16 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

describe("readBody", () => {
  test("a body within the limit arrives whole", async () => {
    const res = await upload(LIMIT);
    assert.equal(res.status, 200);
    assert.equal(res.text, String(LIMIT));
  });

  test("a body that grows past the limit is refused with 413, and the client, still sending, gets the answer", async () => {
    for (let i = 0; i < 50; i++) {
      const res = await upload(2 * LIMIT);
      assert.equal(res.status, 413, `attempt ${i}`);
      assert.match(res.text, /over the limit of 65536 bytes \(EMUEDIT_MAX_BODY_BYTES\)/);
    }
  });

  test("an upload far past the limit is cut after another limit's worth, not read to its end", async () => {
    const closed = bytesRead.length;
    const status = await upload(256 * LIMIT).then((r) => r.status, () => "cut");
    assert.ok(status === 413 || status === "cut", `got ${status}`);
    await waitUntil(() => bytesRead.length > closed);
    const read = Math.max(...bytesRead.slice(closed));
    assert.ok(read < 4 * LIMIT, `server read ${read} bytes of a ${256 * LIMIT}-byte upload`);
  });

  test("a declared Content-Length over the limit is refused before reading", async () => {
    const outcome = nextOutcome();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: "POST", headers: { "content-length": String(LIMIT + 1) } });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", resetOrFail(reject));
      req.write(Buffer.alloc(10));
    });
    assert.equal(status, 413);
    assert.deepEqual(await outcome, { ok: false, status: 413 });
  });

  test("a client that disconnects mid-body settles the read (no request left waiting)", async () => {
    const outcome = nextOutcome();
    const req = http.request(url, { method: "POST", headers: { "transfer-encoding": "chunked" } });
    req.on("error", () => undefined);
    req.write(Buffer.alloc(1024));
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    const o = await outcome;
    assert.deepEqual(o, { ok: false, status: 400 });
  });
});
