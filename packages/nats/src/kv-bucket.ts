// Every bucket of the system (the task registry, the jobs' key-value buckets and object store) is
// opened here: file storage (its entries must outlive a server restart), `replicas` copies
// (EMUEDIT_NATS_REPLICAS: 1 on a single server, 3 in a cluster), an optional age limit, and an
// existing bucket brought to that configuration.
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, StorageType, type StreamConfig } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { ensureBucket } from "./stream-setup.js";

export interface BucketOptions {
  /**
   * Copies of the bucket in the cluster. Absent: an existing bucket is used as it is and a new
   * one gets 1 (tools such as the CLI, which should not re-shape what the services created).
   */
  replicas?: number;
  /** Values kept per key (KV only; default 1). */
  history?: number;
  description?: string;
  /** Age after which the server drops a key or an object, ms; absent: kept until deleted. */
  ttlMs?: number;
  /** Timeout of the JetStream API calls made here (default: the connection's). */
  timeoutMs?: number;
}

/** The stream behind KV bucket `bucket`. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** The stream behind object store `bucket`. */
export function objectStreamName(bucket: string): string {
  return `OBJ_${bucket}`;
}

/** The stream fields every bucket reconciles: storage, replicas (when asked for), age. */
function wantedConfig(options: BucketOptions): Partial<StreamConfig> {
  return {
    storage: StorageType.File,
    ...(options.replicas !== undefined ? { num_replicas: options.replicas } : {}),
    ...(options.ttlMs !== undefined ? { max_age: nanos(options.ttlMs) } : {}),
  };
}

/** Opens KV bucket `bucket`, creating it when missing and reconciling it with the options when not. */
export async function openKvBucket(nc: NatsConnection, bucket: string, options: BucketOptions = {}): Promise<KV> {
  const history = options.history ?? 1;
  const jsm = await jetstreamManager(nc, options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {});
  return ensureBucket(
    jsm,
    kvStreamName(bucket),
    () =>
      new Kvm(nc).create(bucket, {
        storage: StorageType.File,
        history,
        replicas: options.replicas ?? 1,
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.ttlMs !== undefined ? { ttl: options.ttlMs } : {}),
      }),
    { ...wantedConfig(options), max_msgs_per_subject: history },
    { label: `KV bucket ${bucket}` },
  );
}

/** Opens object store `bucket` the same way (creating it when missing, reconciling it when not). */
export async function openObjectBucket(nc: NatsConnection, bucket: string, options: BucketOptions = {}): Promise<ObjectStore> {
  const jsm = await jetstreamManager(nc, options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {});
  return ensureBucket(
    jsm,
    objectStreamName(bucket),
    () =>
      new Objm(nc).create(bucket, {
        storage: StorageType.File,
        replicas: options.replicas ?? 1,
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.ttlMs !== undefined ? { ttl: nanos(options.ttlMs) } : {}),
      }),
    wantedConfig(options),
    { label: `object store ${bucket}` },
  );
}

/** A revision-checked write (kv.create of an existing key, kv.update at a stale revision) lost to another writer. */
export function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
