// Asynchronous edit jobs in JetStream (docs/architecture.md, "Jobs"): the job records (KV), an
// index of the jobs that still need a gateway (KV), and the jobs' input and result bytes
// (object store). Every record change is a revision-checked read-modify-write, so two gateways
// never both believe they own a job.
import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import type { ObjectStore } from "@nats-io/obj";
import { openKvBucket, openObjectBucket } from "./kv-bucket.js";
import { JobRecordFormatError, JobNotFoundError } from "./errors.js";
import { validateEditId } from "./latent-stream.js";
import { updateWithRevision } from "./revision-update.js";

/** KV bucket: job id -> JobRecord JSON. */
export const JOB_BUCKET = "emuedit_jobs";
/** KV bucket: the ids of jobs not yet finished (or whose webhook is not yet delivered), value empty. */
export const ACTIVE_JOB_BUCKET = "emuedit_jobs_active";
/** Object store: `<id>.input` (the uploaded image, until the job ends) and `<id>.result`. */
export const JOB_OBJECT_BUCKET = "emuedit_job_objects";

export const JobState = {
  Queued: "queued",
  Running: "running",
  Succeeded: "succeeded",
  Failed: "failed",
  Cancelled: "cancelled",
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

export function isTerminal(state: JobState): boolean {
  return state === JobState.Succeeded || state === JobState.Failed || state === JobState.Cancelled;
}

/** The API's error shape. */
export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

export interface JobResult {
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  readonly task: string | null;
  readonly taskPredicted: boolean;
  readonly taskConfidence?: number;
  readonly seed: number;
  /** Stage wall times of the run that finished, ms. */
  readonly timings: Record<string, number>;
}

export interface JobCallback {
  readonly url: string;
  readonly state: "pending" | "delivered" | "failed";
  readonly attempts: number;
  readonly lastError?: string;
}

export interface JobRecord {
  readonly id: string;
  readonly state: JobState;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  /** The validated edit request as JSON; the gateway owns its shape. */
  readonly request: unknown;
  /** Denoising steps done (k) of `steps` (n). */
  readonly step: number;
  readonly steps: number;
  /** The gateway instance running (or about to run) the job; "" when none. */
  readonly owner: string;
  /** The owner's claim holds until then (ms since the epoch); it renews it while it works. */
  readonly leaseUntil: number;
  /** Runs started, the first included. */
  readonly attempts: number;
  readonly cancelRequested: boolean;
  readonly callback?: JobCallback;
  readonly result?: JobResult;
  readonly error?: JobError;
}

export interface StoredJob {
  readonly record: JobRecord;
  /** KV revision of this record: the next write must name it. */
  readonly revision: number;
}

export interface JobStoreOptions {
  /** How long a job's record and bytes are kept after their last change, ms. */
  readonly retentionMs: number;
  /** Copies per bucket in a JetStream cluster; default 1. */
  readonly replicas?: number;
}

export interface JobStore {
  /** Stores the input bytes, then the record, then the active index entry. */
  create(record: JobRecord, input: Uint8Array): Promise<StoredJob>;
  get(id: string): Promise<StoredJob | null>;
  /**
   * Read-modify-write until the revision check passes: `change` sees the newest record and
   * returns its successor (it may run more than once; what it throws ends the write). Throws
   * JobNotFoundError when the record is gone.
   */
  mutate(id: string, change: (current: JobRecord) => JobRecord): Promise<StoredJob>;
  /** Ids in the active index. */
  activeIds(): Promise<string[]>;
  deactivate(id: string): Promise<void>;
  /** Changes of one record, the current value first; ends on abort or when the server ends the watch. */
  watch(id: string, signal: AbortSignal): AsyncIterable<StoredJob>;
  readInput(id: string): Promise<Uint8Array | null>;
  deleteInput(id: string): Promise<void>;
  writeResult(id: string, bytes: Uint8Array): Promise<void>;
  readResult(id: string): Promise<Uint8Array | null>;
}

function encode(record: JobRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

function decode(id: string, value: Uint8Array): JobRecord {
  let r: Partial<JobRecord>;
  try {
    r = JSON.parse(new TextDecoder().decode(value)) as Partial<JobRecord>;
  } catch (err) {
    throw new JobRecordFormatError(`job ${id}: record is not JSON`, { cause: err });
  }
  if (r === null || typeof r !== "object" || r.id !== id || typeof r.state !== "string" || typeof r.owner !== "string" || typeof r.steps !== "number") {
    throw new JobRecordFormatError(`job ${id}: record lacks id, state, owner or steps`);
  }
  return r as JobRecord;
}

export async function openJobStore(nc: NatsConnection, options: JobStoreOptions): Promise<JobStore> {
  const common = { ttlMs: options.retentionMs, ...(options.replicas !== undefined ? { replicas: options.replicas } : {}) };
  const [jobs, active, objects]: [KV, KV, ObjectStore] = await Promise.all([
    openKvBucket(nc, JOB_BUCKET, { ...common, description: "emuedit async edit jobs: id -> job record JSON" }),
    openKvBucket(nc, ACTIVE_JOB_BUCKET, { ...common, description: "emuedit jobs that still need a gateway: id -> empty" }),
    openObjectBucket(nc, JOB_OBJECT_BUCKET, { ...common, description: "emuedit job inputs and results" }),
  ]);

  async function get(id: string): Promise<StoredJob | null> {
    const e = await jobs.get(validateEditId(id));
    if (e === null || e.operation !== "PUT") return null;
    return { record: decode(id, e.value), revision: e.revision };
  }

  return {
    async create(record, input) {
      validateEditId(record.id);
      await objects.putBlob({ name: `${record.id}.input` }, input);
      const revision = await jobs.create(record.id, encode(record));
      await active.put(record.id, new Uint8Array(0));
      return { record, revision };
    },
    get,
    mutate: (id, change) => updateWithRevision(jobs, id, () => get(id), change, encode, () => new JobNotFoundError(id)),
    async activeIds() {
      const ids: string[] = [];
      for await (const key of await active.keys()) ids.push(key);
      return ids;
    },
    async deactivate(id) {
      await active.delete(validateEditId(id));
    },
    async *watch(id, signal) {
      if (signal.aborted) return;
      const iterator = await jobs.watch({ key: validateEditId(id) });
      const stop = () => iterator.stop();
      signal.addEventListener("abort", stop, { once: true });
      try {
        for await (const e of iterator) {
          if (e.operation !== "PUT") return;
          yield { record: decode(id, e.value), revision: e.revision };
        }
      } finally {
        signal.removeEventListener("abort", stop);
        iterator.stop();
      }
    },
    readInput: (id) => objects.getBlob(`${validateEditId(id)}.input`),
    async deleteInput(id) {
      await objects.delete(`${validateEditId(id)}.input`).catch(() => undefined);
    },
    async writeResult(id, bytes) {
      await objects.putBlob({ name: `${validateEditId(id)}.result` }, bytes);
    },
    readResult: (id) => objects.getBlob(`${validateEditId(id)}.result`),
  };
}
