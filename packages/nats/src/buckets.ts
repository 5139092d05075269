// The one place key-value buckets and object stores are created with their storage, retention
// and replica count, so a cluster setting (replicas) reaches every bucket the same way.
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";

export interface BucketOptions {
  readonly description: string;
  /** Copies kept by a JetStream cluster (1, 3 or 5); default 1 (a single server). */
  readonly replicas?: number;
  /** Age after which the server drops a key or an object, ms; absent: kept until deleted. */
  readonly ttlMs?: number;
  /** Revisions kept per key (KV only); default 1. */
  readonly history?: number;
}

/** Opens a KV bucket with file storage, creating it when missing (an existing one is bound as it is). */
export function openKvBucket(nc: NatsConnection | JetStreamClient, name: string, options: BucketOptions): Promise<KV> {
  return new Kvm(nc).create(name, {
    storage: StorageType.File,
    history: options.history ?? 1,
    replicas: options.replicas ?? 1,
    description: options.description,
    ...(options.ttlMs !== undefined ? { ttl: options.ttlMs } : {}),
  });
}

/** Opens an object store with file storage, creating it when missing. */
export function openObjectBucket(nc: NatsConnection | JetStreamClient, name: string, options: BucketOptions): Promise<ObjectStore> {
  return new Objm(nc).create(name, {
    storage: StorageType.File,
    replicas: options.replicas ?? 1,
    description: options.description,
    ...(options.ttlMs !== undefined ? { ttl: nanos(options.ttlMs) } : {}),
  });
}
