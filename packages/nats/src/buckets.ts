// The one place key-value and object buckets are created, so every bucket of the system follows
// the same storage and replication choice (EMUEDIT_NATS_REPLICAS on a cluster).
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { JetStreamApiCodes, JetStreamApiError, StorageType } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";

export interface BucketOptions {
  readonly description: string;
  /** Copies kept by a JetStream cluster (1, 3 or 5); default 1 (one server). */
  readonly replicas?: number;
  /** Entries older than this are removed by the server; absent = kept until deleted. */
  readonly ttlMs?: number;
  /** Revisions kept per key (key-value buckets); default 1. */
  readonly history?: number;
}

/** Opens a key-value bucket, creating it (file storage) when missing. */
export function openKvBucket(nc: NatsConnection, name: string, options: BucketOptions): Promise<KV> {
  return new Kvm(nc).create(name, {
    storage: StorageType.File,
    history: options.history ?? 1,
    replicas: options.replicas ?? 1,
    description: options.description,
    ...(options.ttlMs !== undefined ? { ttl: options.ttlMs } : {}),
  });
}

/** Opens an object bucket, creating it (file storage) when missing. */
export function openObjectBucket(nc: NatsConnection, name: string, options: BucketOptions): Promise<ObjectStore> {
  return new Objm(nc).create(name, {
    storage: StorageType.File,
    replicas: options.replicas ?? 1,
    description: options.description,
    ...(options.ttlMs !== undefined ? { ttl: nanos(options.ttlMs) } : {}),
  });
}

/** A revision-checked write (kv.create of an existing key, kv.update at a stale revision) lost to another writer. */
export function isWrongLastSequence(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
}
