// Every key-value bucket of the system (the task registry, future ones such as jobs) is opened
// here: file storage (its entries must outlive a server restart), `replicas` copies
// (EMUEDIT_NATS_REPLICAS: 1 on a single server, 3 in a cluster), and an existing bucket brought
// to that configuration.
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, StorageType, type StreamConfig } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { ensureBucket } from "./stream-setup.js";

export interface KvBucketOptions {
  /**
   * Copies of the bucket in the cluster. Absent: an existing bucket is used as it is and a new
   * one gets 1 (tools such as the CLI, which should not re-shape what the services created).
   */
  replicas?: number;
  /** Values kept per key (default 1). */
  history?: number;
  description?: string;
  /** Timeout of the JetStream API calls made here (default: the connection's). */
  timeoutMs?: number;
}

/** The stream behind KV bucket `bucket`. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** Opens KV bucket `bucket`, creating it when missing and reconciling it with the options when not. */
export async function openKvBucket(nc: NatsConnection, bucket: string, options: KvBucketOptions = {}): Promise<KV> {
  const history = options.history ?? 1;
  const jsm = await jetstreamManager(nc, options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {});
  const wanted: Partial<StreamConfig> = {
    storage: StorageType.File,
    max_msgs_per_subject: history,
    ...(options.replicas !== undefined ? { num_replicas: options.replicas } : {}),
  };
  return ensureBucket(
    jsm,
    kvStreamName(bucket),
    () =>
      new Kvm(nc).create(bucket, {
        storage: StorageType.File,
        history,
        replicas: options.replicas ?? 1,
        ...(options.description !== undefined ? { description: options.description } : {}),
      }),
    wanted,
    { label: `KV bucket ${bucket}` },
  );
}
