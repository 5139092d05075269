// The gateway's wait for a ready replica (EMUEDIT_COLD_START_WAIT_MS), against stages where
// nothing listens: the wait ends in 503 + Retry-After naming the stage, or in 504 when the edit's
// deadline comes first; without a wait a stage that is down fails at once, as it always did.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { EmueditError, Status } from "@emuedit/errors";
import { freePort } from "@emuedit/testing";
import { createDownstream, type DownstreamOptions } from "../src/downstream.js";

async function nowhere(coldStartWaitMs: number) {
  const address = async () => `127.0.0.1:${await freePort()}`;
  const options: DownstreamOptions = { maxMessageBytes: 4 << 20, retryAfterS: 7, decoderTakesSource: false, coldStartWaitMs, resolveIntervalMs: 1000 };
  return createDownstream({ "text-encoder": await address(), vae: await address(), unet: await address() }, options);
}

async function encodeText(coldStartWaitMs: number, timeoutMs: number): Promise<{ err: EmueditError; elapsedMs: number; waits: [string, number][] }> {
  const downstream = await nowhere(coldStartWaitMs);
  const waits: [string, number][] = [];
  const started = Date.now();
  try {
    const backends = downstream.backends({ deadlineAt: Date.now() + timeoutMs, previewEvery: 1, onColdStart: (stage, ms) => waits.push([stage, ms]) });
    await backends.encodeText(["make it blue"], new AbortController().signal);
    assert.fail("no text-encoder, yet the call succeeded");
  } catch (err) {
    assert.ok(err instanceof EmueditError, String(err));
    return { err, elapsedMs: Date.now() - started, waits };
  } finally {
    downstream.close();
  }
}

describe("cold start", () => {
  test("cold start - no ready replica for the whole wait: 503 with Retry-After, naming the stage and the wait", async () => {
    const { err, elapsedMs, waits } = await encodeText(600, 30_000);
    assert.equal(err.status, Status.Unavailable);
    assert.equal(err.retryAfterS, 7);
    assert.equal(err.message, "text-encoder had no ready replica for 600 ms (EMUEDIT_COLD_START_WAIT_MS)");
    assert.ok(elapsedMs >= 550, `held for ${elapsedMs} ms`);
    assert.equal(waits.length, 1);
    assert.equal(waits[0]![0], "text-encoder");
    assert.ok(waits[0]![1] >= 550);
  });

  test("cold start - the edit's deadline comes before the wait ends: 504", async () => {
    const { err, elapsedMs } = await encodeText(60_000, 500);
    assert.equal(err.status, Status.DeadlineExceeded);
    assert.match(err.message, /^the edit's deadline passed while it waited \d+ ms for a ready text-encoder replica$/);
    assert.ok(elapsedMs >= 450 && elapsedMs < 10_000, `answered at the deadline (${elapsedMs} ms)`);
  });

  test("cold start - no wait (0, the default): a stage that is down is 503 after at most one reconnect backoff, grpc-js's UNAVAILABLE mapped as before", async () => {
    const { err, elapsedMs, waits } = await encodeText(0, 30_000);
    assert.equal(err.status, Status.Unavailable);
    assert.match(err.message, /^text-encoder service unavailable: /);
    assert.equal(err.retryAfterS, 7);
    assert.equal(waits.length, 1);
    assert.ok(waits[0]![1] < 5000, `waited ${waits[0]![1]} ms, one reconnect backoff`);
    assert.ok(elapsedMs < 10_000, `answered in ${elapsedMs} ms`);
  });
});
