import { setTimeout as sleep } from "node:timers/promises";
import type { TaskEntryFormatError } from "./errors.js";
import type { TaskEntry } from "./task-entry.js";
import type { TaskChange, TaskRegistry } from "./task-registry.js";

export interface TaskCacheOptions {
  /** Called after each applied change (PUT of a valid entry, or DEL). */
  onChange?: (change: TaskChange) => void;
  /** Invalid registry entries (kept out of the cache) and watch failures (retried). */
  onError?: (error: Error | TaskEntryFormatError) => void;
  /** First retry delay after the watch ends or fails (default 100 ms), doubling up to maxBackoffMs. */
  minBackoffMs?: number;
  /** Default 5000 ms. */
  maxBackoffMs?: number;
}

export interface TaskCache {
  /** Loads every task, then follows the registry. Resolves once the cache is filled. */
  start(): Promise<void>;
  get(name: string): TaskEntry | undefined;
  /** Ordered by id. */
  list(): TaskEntry[];
  readonly size: number;
  readonly stats: { hits: number; misses: number };
  /** Revision of the last applied registry change (or of the initial load). */
  readonly revision: number;
  close(): void;
}

/**
 * The gateway's in-memory task table. start() reads the bucket's revision r, lists all tasks,
 * then watches from r + 1: a change made during the load is replayed, none is missed, and
 * replaying is harmless because changes are applied in revision order. When the watch ends or
 * fails (NATS restart, connection loss) it is re-opened from the last applied revision with
 * exponential backoff; until then lookups keep serving the last known entries.
 */
export function createTaskCache(registry: TaskRegistry, options: TaskCacheOptions = {}): TaskCache {
  const minBackoffMs = options.minBackoffMs ?? 100;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const tasks = new Map<string, TaskEntry>();
  const stats = { hits: 0, misses: 0 };
  const closing = new AbortController();
  let revision = 0;
  let started = false;
  const reportError = (err: unknown) =>
    options.onError?.(err instanceof Error ? err : new Error(String(err)));

  function apply(change: TaskChange): void {
    revision = change.revision;
    if (change.error !== undefined) {
      reportError(change.error);
      return;
    }
    if (change.op === "DEL") tasks.delete(change.name);
    else if (change.task !== undefined) tasks.set(change.name, change.task);
    options.onChange?.(change);
  }

  async function follow(): Promise<void> {
    const { signal } = closing;
    let backoffMs = minBackoffMs;
    while (!signal.aborted) {
      try {
        for await (const change of registry.watch({ fromRevision: revision + 1, signal })) {
          apply(change);
          backoffMs = minBackoffMs;
        }
      } catch (err) {
        if (signal.aborted) return;
        reportError(err);
      }
      if (signal.aborted) return;
      await sleep(backoffMs, undefined, { signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, maxBackoffMs);
    }
  }

  return {
    async start() {
      if (started) throw new Error("TaskCache.start() called twice");
      started = true;
      const loadedAt = await registry.revision();
      for (const task of await registry.list({ onInvalid: reportError })) tasks.set(task.name, task);
      revision = loadedAt;
      void follow();
    },
    get(name) {
      const task = tasks.get(name);
      if (task === undefined) stats.misses++;
      else stats.hits++;
      return task;
    },
    list: () => [...tasks.values()].sort((a, b) => a.id - b.id),
    get size() {
      return tasks.size;
    },
    stats,
    get revision() {
      return revision;
    },
    close: () => closing.abort(),
  };
}
