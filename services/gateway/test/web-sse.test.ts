// The page's Server-Sent Events reader (web/sse.js, plain browser JavaScript that Node runs as
// it is): the event-stream format, fed in pieces split anywhere, and reconnection with
// Last-Event-ID against a real HTTP server that drops its connections.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";

interface SseEvent {
  type: string;
  data: string;
  id: string;
}
interface SseModule {
  eventStreamParser(onEvent: (e: SseEvent) => void): { push(text: string): void; end(): void; state: { lastEventId: string; retryMs?: number } };
  readEventStream(
    url: string,
    options: {
      fetch: typeof fetch;
      onEvent: (e: SseEvent) => void;
      final: (e: SseEvent) => boolean;
      refused: (res: Response) => Promise<Error>;
      gaveUp: () => Error;
      signal?: AbortSignal;
      backoff?: { firstMs: number; maxMs: number; attempts: number };
    },
  ): Promise<SseEvent>;
}
// A path in a variable: the module is the page's JavaScript, outside this TypeScript project.
const SSE_MODULE = new URL("../web/sse.js", import.meta.url).href;
const sse = (await import(SSE_MODULE)) as SseModule;

function parse(pieces: readonly string[]): { events: SseEvent[]; state: { lastEventId: string; retryMs?: number } } {
  const events: SseEvent[] = [];
  const p = sse.eventStreamParser((e) => events.push(e));
  for (const piece of pieces) p.push(piece);
  p.end();
  return { events, state: p.state };
}

describe("web page: event-stream parsing", () => {
  const STREAM =
    "\ufeff: keep-alive\r\n\r\n" +
    "id: 0\nevent: queued\ndata: {\"a\":1}\n\n" +
    "id: 1\revent: step\rdata: line one\rdata:line two\r\r" +
    "event: ignored\n\n" + // no data: dropped
    "id: 2\r\nevent: step\r\ndata\r\nretry: 1500\r\nunknown: x\r\n\r\n" +
    "id: bad\0id\ndata: keeps the last id\n\n" +
    "data: no end";
  const EXPECTED: SseEvent[] = [
    { type: "queued", data: '{"a":1}', id: "0" },
    { type: "step", data: "line one\nline two", id: "1" },
    { type: "step", data: "", id: "2" },
    { type: "message", data: "keeps the last id", id: "2" },
  ];

  test("sse - fields, comments, CR / LF / CRLF line ends, multi-line data, a BOM, retry, an id with NUL", () => {
    const { events, state } = parse([STREAM]);
    assert.deepEqual(events, EXPECTED);
    assert.equal(state.retryMs, 1500);
    assert.equal(state.lastEventId, "2");
  });

  test("sse - the same events however the stream is split into two or three pieces", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i)]).events, EXPECTED, `split at ${i}`);
      const j = Math.min(STREAM.length, i + 1);
      assert.deepEqual(parse([STREAM.slice(0, i), STREAM.slice(i, j), STREAM.slice(j)]).events, EXPECTED, `split at ${i}, ${j}`);
    }
  });
});

describe("web page: reading a job's events over fetch", () => {
  let server: http.Server;
  let base: string;
  /** What each request to the server carried: path and Last-Event-ID. */
  let seen: { path: string; lastEventId: string | undefined; authorization: string | undefined }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const lastEventId = req.headers["last-event-id"] as string | undefined;
      seen.push({ path: req.url ?? "", lastEventId, authorization: req.headers.authorization });
      const stream = () => res.writeHead(200, { "content-type": "text/event-stream" });
      if (req.url === "/drops") {
        // Events 0..2, then the connection breaks; a reconnection gets the rest from its id on.
        stream();
        const from = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
        if (from === 0) {
          res.write("id: 0\nevent: queued\ndata: {}\n\nid: 1\nevent: step\ndata: 1\n\nid: 2\nevent: step\ndata: 2\n\n");
          setTimeout(() => res.socket?.destroy(), 20);
          return;
        }
        res.end(`id: ${from}\nevent: step\ndata: ${from}\n\nid: 4\nevent: done\ndata: {"state":"succeeded"}\n\nid: 5\nevent: step\ndata: after the end\n\n`);
      } else if (req.url === "/busy-then-ok") {
        if (seen.filter((s) => s.path === "/busy-then-ok").length === 1) {
          res.writeHead(503, { "retry-after": "0", "content-type": "application/json" }).end('{"error":{"code":"unavailable"}}');
          return;
        }
        stream();
        res.end("id: 1\nevent: cancelled\ndata: {}\n\n");
      } else if (req.url === "/refused") {
        res.writeHead(401, { "content-type": "application/json" }).end('{"error":{"code":"invalid_api_key","message":"no"}}');
      } else if (req.url === "/ends-early") {
        stream();
        res.end(": nothing but a comment\n\n");
      } else if (req.url === "/silent") {
        stream();
        res.flushHeaders();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const FAST = { firstMs: 10, maxMs: 40, attempts: 4 };
  const read = (path: string, extra: { signal?: AbortSignal } = {}) => {
    const events: SseEvent[] = [];
    const done = sse.readEventStream(`${base}${path}`, {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: "Bearer k" } }),
      onEvent: (e) => events.push(e),
      final: (e) => e.type === "done" || e.type === "cancelled" || e.type === "error",
      refused: async (res) => new Error(`refused ${res.status}: ${((await res.json()) as { error: { code: string } }).error.code}`),
      gaveUp: () => new Error("gave up"),
      backoff: FAST,
      ...extra,
    });
    return { events, done };
  };

  test("sse - a dropped connection is resumed with Last-Event-ID; nothing is seen twice; nothing after the outcome", async () => {
    seen = [];
    const { events, done } = read("/drops");
    const final = await done;
    assert.equal(final.type, "done");
    assert.deepEqual(
      events.map((e) => `${e.id}:${e.type}`),
      ["0:queued", "1:step", "2:step", "3:step", "4:done"],
    );
    assert.deepEqual(
      seen.map((s) => s.lastEventId),
      [undefined, "2"],
    );
    assert.ok(seen.every((s) => s.authorization === "Bearer k"), "the header on every connection");
  });

  test("sse - 503 is retried after its Retry-After; 401 rejects at once with the refusal", async () => {
    seen = [];
    assert.equal((await read("/busy-then-ok").done).type, "cancelled");
    assert.equal(seen.length, 2);
    seen = [];
    await assert.rejects(read("/refused").done, /refused 401: invalid_api_key/);
    assert.equal(seen.length, 1, "no retry of a refusal");
  });

  test("sse - streams that keep ending without an outcome: it gives up after the last attempt", async () => {
    seen = [];
    await assert.rejects(read("/ends-early").done, /gave up/);
    assert.equal(seen.length, FAST.attempts);
  });

  test("sse - aborting stops reading an open stream", async () => {
    const stop = new AbortController();
    const { done } = read("/silent", { signal: stop.signal });
    setTimeout(() => stop.abort(new Error("cancelled by the page")), 50);
    await assert.rejects(done, /cancelled by the page/);
  });
});
