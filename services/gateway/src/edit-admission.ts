// What every POST edit route does around its edit, in order: the caller's quota (a rate token and
// a concurrent-edit slot, before the body is read: an over-quota client costs no upload), then
// Idempotency-Key (a retry gets the first reply), then the reply. The caller's identity and
// scope were checked when the request was routed.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Access, Principal } from "./auth/access.js";
import { rateLimitHeaders } from "./auth/quota.js";
import { parseIdempotencyKey, type Idempotency, type StoredReply } from "./idempotency.js";

export interface EditAdmission {
  readonly access: Access;
  /** null: Idempotency-Key is not supported (its buckets could not be opened). */
  readonly idempotency: Idempotency | null;
  /** How long a claimed Idempotency-Key blocks retries when its replica died: the longest edit. */
  readonly claimMs: number;
}

export type { StoredReply };

/** Aborted when the client goes away before the reply is sent: it cancels the edit. */
export function clientGone(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/** Runs `fn` holding one of the principal's edit slots; RateLimit-* headers go on the reply. */
export async function admitted<T>(admission: EditAdmission, principal: Principal, res: ServerResponse, fn: () => Promise<T>): Promise<T> {
  const lease = await admission.access.admit(principal);
  if (lease) for (const [k, v] of Object.entries(rateLimitHeaders(lease.rateLimit))) res.setHeader(k, v);
  try {
    return await fn();
  } finally {
    // After the reply: the slot's release never delays it.
    void lease?.release();
  }
}

/** SHA-256 over a request's meaning (parsed fields and image bytes, not its multipart framing). */
export function fingerprint(parts: Record<string, unknown>, image: Uint8Array | undefined): string {
  const h = createHash("sha256");
  h.update(JSON.stringify(Object.keys(parts).sort().map((k) => [k, parts[k]])));
  if (image) h.update(image);
  return h.digest("hex");
}

/** Produces the reply, or replays the first one of a retried Idempotency-Key, and sends it. */
export async function replyOnce(
  admission: EditAdmission,
  req: IncomingMessage,
  res: ServerResponse,
  scope: { principal: Principal; route: string; fingerprint: string; signal: AbortSignal },
  produce: () => Promise<StoredReply>,
): Promise<void> {
  const key = parseIdempotencyKey(req.headers["idempotency-key"]);
  if (key === undefined || admission.idempotency === null) return send(res, await produce(), false);
  const { reply, replayed } = await admission.idempotency.run(
    { principal: scope.principal.id, route: scope.route, key },
    scope.fingerprint,
    { claimMs: admission.claimMs, signal: scope.signal },
    produce,
  );
  send(res, reply, replayed);
}

function send(res: ServerResponse, reply: StoredReply, replayed: boolean): void {
  res.writeHead(reply.status, { ...reply.headers, "content-length": reply.body.length, ...(replayed ? { "idempotent-replayed": "true" } : {}) });
  res.end(reply.body);
}
