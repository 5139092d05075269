// Every gateway replica's in-memory copy of emuedit_api_keys: a request's key is checked without
// a NATS round trip. A watch applies creations and revocations as they happen (milliseconds);
// a full reload every `refreshMs`, and after every reconnect, bounds how stale the copy can be
// when the watch itself broke (a NATS restart can end an ordered consumer silently).
import { setTimeout as sleep } from "node:timers/promises";
import { KvWatchInclude } from "@nats-io/kv";
import type { NatsConnection, Status } from "@nats-io/transport-node";
import { apiKeyId, apiKeyMatches, decodeApiKeyRecord, type ApiKeyRecord, type ApiKeyStore } from "./api-keys.js";

export interface ApiKeyCacheOptions {
  /** Full reload period, ms: the bound on staleness when the watch is broken. */
  readonly refreshMs: number;
  readonly onError?: (err: Error) => void;
  readonly onChange?: (change: { op: "PUT" | "DEL"; id: string }) => void;
}

export interface ApiKeyCache {
  /** Loads every key and starts following the bucket; resolves once loaded. */
  start(): Promise<void>;
  /** The record of a presented key string, or null for an unknown, revoked or wrong key. */
  lookup(key: string): ApiKeyRecord | null;
  readonly size: number;
  close(): void;
}

export function createApiKeyCache(nc: NatsConnection, store: ApiKeyStore, options: ApiKeyCacheOptions): ApiKeyCache {
  let keys = new Map<string, ApiKeyRecord>();
  const closing = new AbortController();
  const report = (err: unknown) => options.onError?.(err instanceof Error ? err : new Error(String(err)));

  // Watch changes that arrive while a reload lists the bucket are applied to the new copy too:
  // a revocation seen by the watch mid-reload must not come back with a list read before it.
  let duringReload: ((map: Map<string, ApiKeyRecord>) => void)[] | null = null;
  let reloading: Promise<void> | null = null;
  const apply = (change: (map: Map<string, ApiKeyRecord>) => void) => {
    change(keys);
    duringReload?.push(change);
  };

  function reload(): Promise<void> {
    reloading ??= (async () => {
      duringReload = [];
      try {
        const fresh = new Map<string, ApiKeyRecord>();
        for (const r of await store.list()) fresh.set(r.id, r);
        for (const change of duringReload) change(fresh);
        keys = fresh;
      } finally {
        duringReload = null;
        reloading = null;
      }
    })();
    return reloading;
  }

  /** One watch, until it ends, fails, the connection reconnects, or the cache closes. */
  async function watchOnce(): Promise<void> {
    const iterator = await store.kv.watch({ include: KvWatchInclude.UpdatesOnly });
    const stop = () => iterator.stop();
    closing.signal.addEventListener("abort", stop, { once: true });
    const statuses = nc.status() as AsyncIterable<Status> & { stop?(): void };
    void (async () => {
      for await (const s of statuses) if (s.type === "reconnect") return stop();
    })().catch(() => undefined);
    try {
      // Changes made between the watch's start and this reload are applied twice, in order: harmless.
      await reload();
      for await (const e of iterator) {
        if (e.operation === "PUT") {
          let record: ApiKeyRecord;
          try {
            record = decodeApiKeyRecord(e.key, e.value);
          } catch (err) {
            report(err);
            continue;
          }
          apply((map) => map.set(e.key, record));
        } else apply((map) => map.delete(e.key));
        options.onChange?.({ op: e.operation === "PUT" ? "PUT" : "DEL", id: e.key });
      }
    } finally {
      closing.signal.removeEventListener("abort", stop);
      statuses.stop?.();
      iterator.stop();
    }
  }

  async function follow(): Promise<void> {
    let backoffMs = 100;
    while (!closing.signal.aborted) {
      try {
        await watchOnce();
        backoffMs = 100;
      } catch (err) {
        if (closing.signal.aborted) return;
        report(err);
      }
      await sleep(backoffMs, undefined, { signal: closing.signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, 5000);
    }
  }

  async function refreshEvery(): Promise<void> {
    while (!closing.signal.aborted) {
      await sleep(options.refreshMs, undefined, { signal: closing.signal }).catch(() => undefined);
      if (closing.signal.aborted) return;
      await reload().catch(report);
    }
  }

  return {
    async start() {
      await reload();
      void follow();
      void refreshEvery();
    },
    lookup(key) {
      const id = apiKeyId(key);
      const record = id === null ? undefined : keys.get(id);
      return record !== undefined && apiKeyMatches(record, key) ? record : null;
    },
    get size() {
      return keys.size;
    },
    close: () => closing.abort(),
  };
}
