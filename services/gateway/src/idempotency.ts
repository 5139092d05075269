// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for the POST edit routes, shared by
// every gateway replica: a KV entry per (API key, route, Idempotency-Key) claims the request
// (`running`, with an expiry so a crashed replica's claim can be taken over), then records the
// reply (`done`); the reply's body lives in an object bucket (an edited image can exceed a KV
// value's limit). A retry of a finished request gets the stored reply; a retry while the first
// runs waits for it; the same key with another request is 422. A failed request releases its
// claim, so a retry runs it again. Both buckets expire entries after EMUEDIT_IDEMPOTENCY_TTL_S.
import { setTimeout as sleep } from "node:timers/promises";
import { EmueditError, Status } from "@emuedit/errors";
import { isWrongLastSequence, sha256Hex, type KV, type ObjectStore } from "@emuedit/nats";

export interface StoredReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

type IdempotencyRecord =
  | { state: "running"; fingerprint: string; expiresAtMs: number }
  | { state: "done"; fingerprint: string; status: number; headers: Record<string, string> };

export interface Idempotency {
  /**
   * `produce` once per (principal, route, key): its reply, or the first request's stored reply
   * (`replayed`). `fingerprint` identifies the request's content; `claimMs` bounds how long a
   * claim of a replica that died blocks a retry.
   */
  run(
    scope: { principal: string; route: string; key: string },
    fingerprint: string,
    opts: { claimMs: number; signal: AbortSignal },
    produce: () => Promise<StoredReply>,
  ): Promise<{ reply: StoredReply; replayed: boolean }>;
}

/** Idempotency-Key values: 1..255 visible ASCII characters. */
export function parseIdempotencyKey(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const v = Array.isArray(raw) ? raw.join(",") : raw;
  if (!/^[\x21-\x7e]{1,255}$/.test(v)) {
    throw new EmueditError(Status.InvalidArgument, "Idempotency-Key: must be 1..255 visible ASCII characters", { details: { field: "Idempotency-Key" } });
  }
  return v;
}

/** First poll delay of a waiting retry, doubling up to POLL_MAX_MS. */
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

/** The store (NATS) failed: the request cannot be deduplicated now, so it is not run. */
const storeDown = (cause: unknown) =>
  new EmueditError(Status.Unavailable, "the Idempotency-Key store (NATS) did not answer; retry, or send the request without Idempotency-Key", { cause });

async function store<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw err instanceof EmueditError ? err : storeDown(err);
  }
}

export function createIdempotency(kv: KV, bodies: ObjectStore, onError: (err: unknown) => void): Idempotency {
  const decode = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8")) as IdempotencyRecord;

  return {
    async run(scope, fingerprint, opts, produce) {
      const name = sha256Hex(`${scope.principal}\n${scope.route}\n${scope.key}`);
      let pollMs = POLL_MIN_MS;
      for (;;) {
        if (opts.signal.aborted) throw new EmueditError(Status.Cancelled, "the client went away while waiting for the first request with this Idempotency-Key");
        const claim = JSON.stringify({ state: "running", fingerprint, expiresAtMs: Date.now() + opts.claimMs } satisfies IdempotencyRecord);
        const e = await store(() => kv.get(name));
        if (e === null || e.operation !== "PUT") {
          if (await tryWrite(() => kv.create(name, claim))) return { reply: await own(name, fingerprint, produce), replayed: false };
          continue;
        }
        const record = decode(e.value);
        if (record.fingerprint !== fingerprint) {
          throw new EmueditError(Status.Unprocessable, "Idempotency-Key was already used with a different request", { code: "idempotency_key_reused" });
        }
        if (record.state === "done") {
          const body = await store(() => bodies.getBlob(name));
          if (body !== null) return { reply: { status: record.status, headers: record.headers, body: Buffer.from(body) }, replayed: true };
          // The body expired before its record: run the request again.
          if (await tryWrite(() => kv.update(name, claim, e.revision))) return { reply: await own(name, fingerprint, produce), replayed: false };
          continue;
        }
        if (record.expiresAtMs < Date.now()) {
          if (await tryWrite(() => kv.update(name, claim, e.revision))) return { reply: await own(name, fingerprint, produce), replayed: false };
          continue;
        }
        await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
        pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
      }
    },
  };

  async function own(name: string, fingerprint: string, produce: () => Promise<StoredReply>): Promise<StoredReply> {
    let reply: StoredReply;
    try {
      reply = await produce();
    } catch (err) {
      await kv.delete(name).catch(() => undefined);
      throw err;
    }
    try {
      await bodies.putBlob({ name }, reply.body);
      await kv.put(name, JSON.stringify({ state: "done", fingerprint, status: reply.status, headers: { ...reply.headers } } satisfies IdempotencyRecord));
    } catch (err) {
      // The edit is done: its reply goes out; only a later retry will run it again.
      onError(err);
      await kv.delete(name).catch(() => undefined);
    }
    return reply;
  }
}

/** A revision-checked write: true when it won, false when another writer did first. */
async function tryWrite(write: () => Promise<number>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isWrongLastSequence(err)) return false;
    throw storeDown(err);
  }
}
