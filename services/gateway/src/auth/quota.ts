// Per-API-key rate limit and concurrent-edit quota, shared by every gateway replica through one
// NATS KV entry per key: {tokens, atMs, leases}. A token bucket (ratePerS, burst) and a set of
// leases (one per running edit, each with its own expiry) are read, checked and written back with
// a revision-checked update; a writer that lost the race re-reads and tries again.
//
// Trade-off (docs/api.md, "Quotas"): exact across replicas and survives a replica's crash (its
// leases expire), at the price of a KV read and a write per accepted edit and another pair at its
// end; a refused request costs one read and writes nothing, so overload does not add write
// contention. A hot key's concurrent acquires serialise on its entry (CAS retries). The clocks of
// the replicas must roughly agree (tokens refill by wall time). When NATS does not answer the
// quota is not enforced (fail open, logged): availability of edits over exact fairness.
import { setTimeout as sleep } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import { EmueditError, Status } from "@emuedit/errors";
import { isWrongLastSequence, type KV } from "@emuedit/nats";

export interface QuotaLimits {
  readonly ratePerS: number;
  readonly burst: number;
  readonly maxConcurrentEdits: number;
}

interface QuotaState {
  tokens: number;
  atMs: number;
  /** lease id -> expiry, ms since the epoch. */
  leases: Record<string, number>;
}

/** RateLimit-* headers (IETF draft-ietf-httpapi-ratelimit-headers): limit, remaining, reset seconds. */
export interface RateLimitInfo {
  readonly limit: number;
  readonly remaining: number;
  readonly resetS: number;
}

export class QuotaExceededError extends EmueditError {
  override name = "QuotaExceededError";
  constructor(
    message: string,
    readonly rateLimit: RateLimitInfo,
    retryAfterS: number,
  ) {
    super(Status.RateLimited, message, { retryAfterS, details: { limit: rateLimit.limit, remaining: rateLimit.remaining, reset_s: rateLimit.resetS } });
  }
}

export interface Lease {
  readonly rateLimit: RateLimitInfo;
  /** Frees the concurrent-edit slot; safe to call twice. */
  release(): Promise<void>;
}

export interface Quota {
  acquire(keyId: string, limits: QuotaLimits): Promise<Lease>;
}

/** CAS attempts before giving up on a hot key: then the request is let through (fail open). */
const MAX_ATTEMPTS = 50;

export function rateLimitHeaders(r: RateLimitInfo): Record<string, string> {
  return { "ratelimit-limit": String(r.limit), "ratelimit-remaining": String(r.remaining), "ratelimit-reset": String(r.resetS) };
}

/** The bucket refilled to `nowMs`; expired leases dropped. Pure, so the math is testable alone. */
export function refill(state: QuotaState | null, limits: QuotaLimits, nowMs: number): QuotaState {
  if (state === null) return { tokens: limits.burst, atMs: nowMs, leases: {} };
  const elapsedS = Math.max(0, nowMs - state.atMs) / 1000;
  const leases = Object.fromEntries(Object.entries(state.leases).filter(([, exp]) => exp > nowMs));
  return { tokens: Math.min(limits.burst, state.tokens + elapsedS * limits.ratePerS), atMs: nowMs, leases };
}

function info(s: QuotaState, limits: QuotaLimits): RateLimitInfo {
  const remaining = Math.floor(s.tokens);
  // Seconds until the bucket is full again (0 when full).
  return { limit: limits.burst, remaining, resetS: Math.ceil((limits.burst - s.tokens) / limits.ratePerS) };
}

export function createQuota(kv: KV, options: { leaseMs: number; onError: (err: unknown) => void }): Quota {
  const decode = (bytes: Uint8Array): QuotaState | null => {
    try {
      return JSON.parse(Buffer.from(bytes).toString("utf8")) as QuotaState;
    } catch {
      return null;
    }
  };

  /** Read-modify-write of one key's entry; `change` returns null to write nothing. */
  async function update<T>(keyId: string, change: (s: QuotaState | null) => { state: QuotaState | null; result: T }): Promise<T | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const e = await kv.get(keyId);
      const current = e !== null && e.operation === "PUT" ? decode(e.value) : null;
      const { state, result } = change(current);
      if (state === null) return result;
      try {
        if (e === null) await kv.create(keyId, JSON.stringify(state));
        else await kv.update(keyId, JSON.stringify(state), e.revision);
        return result;
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Lost to another replica's write: a short random pause spreads the next tries apart.
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
    return undefined;
  }

  return {
    async acquire(keyId, limits) {
      const leaseId = randomUUID();
      let outcome: QuotaExceededError | RateLimitInfo | undefined;
      try {
        outcome = await update<QuotaExceededError | RateLimitInfo>(keyId, (current) => {
          const now = Date.now();
          const s = refill(current, limits, now);
          const active = Object.keys(s.leases).length;
          if (s.tokens < 1) {
            const r = info(s, limits);
            return { state: null, result: new QuotaExceededError(`rate limit of ${limits.ratePerS}/s (burst ${limits.burst}) reached for this API key`, r, Math.ceil((1 - s.tokens) / limits.ratePerS)) };
          }
          if (active >= limits.maxConcurrentEdits) {
            const r = info(s, limits);
            // A slot frees when an edit ends, usually long before the lease's expiry.
            return { state: null, result: new QuotaExceededError(`${active} edits of this API key are running (limit ${limits.maxConcurrentEdits})`, r, 1) };
          }
          s.tokens -= 1;
          s.leases[leaseId] = now + options.leaseMs;
          return { state: s, result: info(s, limits) };
        });
      } catch (err) {
        options.onError(err);
        outcome = undefined;
      }
      if (outcome instanceof QuotaExceededError) throw outcome;
      const acquired = outcome !== undefined;
      const rateLimit = outcome ?? { limit: limits.burst, remaining: limits.burst, resetS: 0 };
      let released = !acquired;
      return {
        rateLimit,
        async release() {
          if (released) return;
          released = true;
          await update(keyId, (current) => {
            if (current === null || !(leaseId in current.leases)) return { state: null, result: undefined };
            const { [leaseId]: _gone, ...leases } = current.leases;
            return { state: { ...current, leases }, result: undefined };
          }).catch(options.onError);
        },
      };
    },
  };
}
