// Server-Sent Events over fetch. EventSource cannot send an Authorization header, so with API
// keys required (every deployment beyond loopback) the page reads the stream itself: the
// event-stream format of the HTML standard (section 9.2, "Server-sent events"), and its
// reconnection with Last-Event-ID, with a growing wait between attempts.
//
// No DOM here: the gateway's unit tests run this module in Node against a real HTTP server.

/** Waits between reconnections: the first, doubled after each failed attempt up to the last. */
export const BACKOFF = { firstMs: 500, maxMs: 8000, attempts: 8 };

/**
 * Splits an event stream into events, fed text in pieces of any size. `onEvent` gets
 * { type, data, id } for each dispatched event; `state.lastEventId` and `state.retryMs` follow
 * the stream's `id:` and `retry:` fields.
 */
export function eventStreamParser(onEvent, state = { lastEventId: "", retryMs: undefined }) {
  let buffer = "";
  let type = "";
  let data = "";
  let hasData = false;
  let first = true;

  const line = (text) => {
    if (text === "") {
      // A blank line dispatches the event; one without data fields is dropped.
      if (hasData) onEvent({ type: type || "message", data, id: state.lastEventId });
      type = "";
      data = "";
      hasData = false;
      return;
    }
    if (text.startsWith(":")) return; // a comment (the server's keep-alive)
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") type = value;
    else if (field === "data") {
      data = hasData ? `${data}\n${value}` : value;
      hasData = true;
    } else if (field === "id") {
      if (!value.includes("\0")) state.lastEventId = value;
    } else if (field === "retry") {
      if (/^\d+$/.test(value)) state.retryMs = Number(value);
    }
  };

  return {
    state,
    push(text) {
      buffer += text;
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      // Lines end in CRLF, LF or CR. A CR at the end of the buffer may be the first half of a
      // CRLF split between two pieces: keep it until the next piece says.
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer[i];
        if (c !== "\n" && c !== "\r") continue;
        if (c === "\r" && i === buffer.length - 1) break;
        line(buffer.slice(start, i));
        if (c === "\r" && buffer[i + 1] === "\n") i++;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    /** The stream ended: an event not yet ended by a blank line is dropped, as the standard says. */
    end() {
      buffer = "";
      type = "";
      data = "";
      hasData = false;
    },
  };
}

/**
 * Reads the event stream at `url` until an event for which `final(event)` is true, reconnecting
 * after a dropped connection with the Last-Event-ID header. Resolves with the final event;
 * rejects with `await refused(response)` when the server answers with an error that a retry
 * would not change (4xx), with `gaveUp()` after BACKOFF.attempts failed attempts in a row, and
 * with the signal's reason when aborted.
 *
 * `fetch(url, init)` sends the request (the page's adds the API key); `onEvent(event)` sees
 * every event, the final one included.
 */
export async function readEventStream(url, { fetch, onEvent, final, refused, gaveUp, signal, backoff = BACKOFF }) {
  const state = { lastEventId: "", retryMs: undefined };
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    let delayMs;
    try {
      const headers = { accept: "text/event-stream" };
      if (state.lastEventId !== "") headers["last-event-id"] = state.lastEventId;
      const res = await fetch(url, { headers, signal, cache: "no-store" });
      if (res.status === 204) throw await refused(res); // the server says: do not reconnect
      if (!res.ok) {
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        if (!retryable) throw await refused(res);
        await res.body?.cancel().catch(() => undefined);
        delayMs = Number(res.headers.get("retry-after")) * 1000 || undefined;
      } else {
        const outcome = await readBody(res, state, onEvent, final);
        if (outcome.final) return outcome.final;
        if (outcome.events > 0) failures = 0; // it worked for a while: start the waits afresh
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      if (!(err instanceof TypeError)) throw err; // fetch's network failure is a TypeError
    }
    failures++;
    if (failures >= backoff.attempts) throw await gaveUp();
    const wait = Math.min(delayMs ?? (state.retryMs ?? backoff.firstMs) * 2 ** (failures - 1), backoff.maxMs);
    await sleep(wait, signal);
  }
}

/** Events of one response until it ends: { final } when the final event came, else { events }. */
async function readBody(res, state, onEvent, final) {
  let last = null;
  let events = 0;
  const parser = eventStreamParser((e) => {
    events++;
    if (last) return; // nothing after the final event counts
    onEvent(e);
    if (final(e)) last = e;
  }, state);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!last) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(value);
    }
  } finally {
    parser.end();
    await reader.cancel().catch(() => undefined);
  }
  return last ? { final: last } : { events };
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
