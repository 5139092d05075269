import type { NatsConnection, Status } from "@nats-io/transport-node";
import { KvWatchInclude, type KV, type KvWatchOptions } from "@nats-io/kv";
import { TaskEntryFormatError } from "./errors.js";
import { isWrongLastSequence, openKvBucket } from "./kv-bucket.js";
import { decodeTaskEntry, encodeTaskEntry, validateTaskName, type TaskEntry } from "./task-entry.js";

/** KV bucket of the task registry (docs/architecture.md, "Tasks"). */
export const TASK_BUCKET = "emuedit_tasks";

export interface TaskChange {
  op: "PUT" | "DEL";
  name: string;
  /** The new entry of a PUT; absent for DEL and for a PUT whose value is invalid (see `error`). */
  task?: TaskEntry;
  /** Set when a PUT carries a value that is not a valid TaskEntry (or an invalid key). */
  error?: TaskEntryFormatError;
  /** KV revision (stream sequence) of this change. */
  revision: number;
}

export interface TaskWatchOptions {
  /** Start at this KV revision (inclusive); default: only changes made after the call. */
  fromRevision?: number;
  signal?: AbortSignal;
}

export interface TaskListOptions {
  /** When given, invalid entries are reported here and skipped instead of failing the list. */
  onInvalid?: (error: TaskEntryFormatError) => void;
}

/** Prefix of `TaskEntry.origin` for entries seeded from a model package. */
export const PACKAGE_ORIGIN = "package:";

export interface TaskRegistry {
  /**
   * Creates the keys that are missing (or deleted). An existing entry is kept, unless both it and
   * the new one carry a package origin ("package:...") and they differ: then the model package
   * changed and its entry replaces the stale one. User-registered entries are never replaced.
   */
  seed(tasks: readonly TaskEntry[]): Promise<{ created: number; kept: number; replaced: number }>;
  /** Creates or replaces a task; resolves with its revision. */
  put(task: TaskEntry): Promise<number>;
  get(name: string): Promise<TaskEntry | null>;
  /** All tasks, ordered by id. */
  list(options?: TaskListOptions): Promise<TaskEntry[]>;
  delete(name: string): Promise<void>;
  /**
   * Changes in revision order. Ends on abort, when the connection reconnects, or when the
   * underlying watcher stops: re-watch from the last seen revision + 1 (TaskCache does).
   * The bucket keeps one revision per key, so a late watcher sees only a key's newest change.
   */
  watch(options?: TaskWatchOptions): AsyncIterable<TaskChange>;
  /** The bucket's latest revision (0 when empty): list() then watch({ fromRevision: r + 1 }) misses nothing. */
  revision(): Promise<number>;
}

export interface TaskRegistryOptions {
  /** Default TASK_BUCKET; tests may use their own. */
  bucket?: string;
  /** Copies in the cluster (EMUEDIT_NATS_REPLICAS); absent: an existing bucket is used as it is (openKvBucket). */
  replicas?: number;
}

/** Opens the registry bucket (file storage, history 1, `replicas` copies), creating it when missing. */
export async function openTaskRegistry(nc: NatsConnection, options: TaskRegistryOptions = {}): Promise<TaskRegistry> {
  const kv: KV = await openKvBucket(nc, options.bucket ?? TASK_BUCKET, {
    history: 1,
    description: "emuedit task registry: task name -> TaskEntry JSON",
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
  });

  async function get(name: string): Promise<TaskEntry | null> {
    const entry = await kv.get(validateTaskName(name));
    if (entry === null || entry.operation !== "PUT") return null;
    return decodeTaskEntry(name, entry.value);
  }

  async function* watch(options: TaskWatchOptions = {}): AsyncGenerator<TaskChange> {
    const { signal } = options;
    if (signal?.aborted) return;
    const watchOptions: KvWatchOptions =
      options.fromRevision !== undefined && options.fromRevision > 0
        ? { resumeFromRevision: options.fromRevision }
        : { include: KvWatchInclude.UpdatesOnly };
    // The watch's ordered consumer does not reliably recover from a server restart (its reset
    // request, or a create request in flight when the server died, times out after the request
    // timeout), so the watch ends on reconnect and the caller re-watches from its last revision.
    const interrupted = new AbortController();
    const interrupt = () => interrupted.abort();
    signal?.addEventListener("abort", interrupt, { once: true });
    const statuses = nc.status() as AsyncIterable<Status> & { stop?(): void };
    void (async () => {
      for await (const status of statuses) {
        if (status.type === "reconnect") return interrupt();
      }
    })();
    const ended = new Promise<null>((resolve) => interrupted.signal.addEventListener("abort", () => resolve(null), { once: true }));
    try {
      const pending = kv.watch(watchOptions);
      const iterator = await Promise.race([pending, ended]);
      if (iterator === null) {
        pending.then((late) => late.stop(), () => undefined);
        return;
      }
      void ended.then(() => iterator.stop());
      try {
        for await (const e of iterator) {
          const name = e.key;
          if (e.operation !== "PUT") {
            yield { op: "DEL", name, revision: e.revision };
            continue;
          }
          try {
            validateTaskName(name);
            yield { op: "PUT", name, task: decodeTaskEntry(name, e.value), revision: e.revision };
          } catch (err) {
            const error = err instanceof TaskEntryFormatError ? err : new TaskEntryFormatError(`task key ${JSON.stringify(name)} is invalid`, { cause: err });
            yield { op: "PUT", name, error, revision: e.revision };
          }
        }
      } finally {
        iterator.stop();
      }
    } finally {
      signal?.removeEventListener("abort", interrupt);
      statuses.stop?.();
      interrupt();
    }
  }

  return {
    async seed(tasks) {
      let created = 0;
      let kept = 0;
      let replaced = 0;
      for (const task of tasks) {
        try {
          await kv.create(validateTaskName(task.name), encodeTaskEntry(task));
          created++;
        } catch (err) {
          if (!isWrongLastSequence(err)) throw err;
          // Seeded by another model package: that package's embedding is meaningless to this
          // model, so replace it. Same package, or written by a user: keep it.
          const existing = await get(task.name).catch(() => null);
          const fromOtherPackage =
            task.origin?.startsWith(PACKAGE_ORIGIN) &&
            existing?.origin?.startsWith(PACKAGE_ORIGIN) &&
            existing.origin !== task.origin;
          if (fromOtherPackage) {
            await kv.put(task.name, encodeTaskEntry(task));
            replaced++;
          } else {
            kept++;
          }
        }
      }
      return { created, kept, replaced };
    },
    async put(task) {
      return await kv.put(validateTaskName(task.name), encodeTaskEntry(task));
    },
    get,
    async list(options = {}) {
      const tasks: TaskEntry[] = [];
      for await (const key of await kv.keys()) {
        try {
          const task = await get(key);
          if (task !== null) tasks.push(task);
        } catch (err) {
          if (options.onInvalid === undefined) throw err;
          options.onInvalid(err instanceof TaskEntryFormatError ? err : new TaskEntryFormatError(`task key ${JSON.stringify(key)} is invalid`, { cause: err }));
        }
      }
      return tasks.sort((a, b) => a.id - b.id);
    },
    async delete(name) {
      await kv.delete(validateTaskName(name));
    },
    watch: (options) => watch(options),
    async revision() {
      return (await kv.status()).streamInfo.state.last_seq;
    },
  };
}
