// Object store side of large latents: the bucket, and the object name of one step.
import { nanos } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { DEFAULT_LATENT_MAX_AGE_MS, DEFAULT_LATENT_STORAGE, LATENT_OBJECT_BUCKET } from "./latent-stream.js";
import { ensureBucket, storageType, type StorageKind } from "./stream-setup.js";

export interface LatentObjectsOptions {
  /** Lifetime of an object (default DEFAULT_LATENT_MAX_AGE_MS). */
  ttlMs?: number;
  /** Copies in the cluster: the latent stream's (EMUEDIT_LATENT_REPLICAS). */
  replicas?: number;
  /** The latent stream's (EMUEDIT_LATENT_STORAGE). */
  storage?: StorageKind;
  /** As LatentStreamOptions.onRecreate: a bucket of the other storage type is re-created. */
  onRecreate?: (message: string) => void;
}

/**
 * Opens the object bucket for the publisher: creates it when missing and brings an existing one
 * to the latent stream's replicas and storage and to `ttlMs`.
 */
export async function openLatentObjects(js: JetStreamClient, options: LatentObjectsOptions = {}): Promise<ObjectStore> {
  const ttl = nanos(options.ttlMs ?? DEFAULT_LATENT_MAX_AGE_MS);
  const storage: StorageType = storageType(options.storage ?? DEFAULT_LATENT_STORAGE);
  const replicas = options.replicas ?? 1;
  return ensureBucket(
    await js.jetstreamManager(false),
    `OBJ_${LATENT_OBJECT_BUCKET}`,
    () => new Objm(js).create(LATENT_OBJECT_BUCKET, { storage, ttl, replicas, description: "emuedit latents larger than the server's max payload" }),
    { storage, max_age: ttl, num_replicas: replicas },
    {
      label: `object bucket ${LATENT_OBJECT_BUCKET}`,
      hint: "set EMUEDIT_LATENT_STORAGE to the existing bucket's storage",
      ...(options.onRecreate ? { onRecreate: options.onRecreate } : {}),
    },
  );
}

/** Opens the existing object bucket for a reader (the publisher made it before the first reference). */
export function openLatentObjectsForReading(js: JetStreamClient): Promise<ObjectStore> {
  return new Objm(js).open(LATENT_OBJECT_BUCKET);
}

/** One object per (edit, step): a reader holding an older reference never sees newer bytes. */
export function latentObjectName(editId: string, step: number): string {
  return `${editId}.${step}`;
}
