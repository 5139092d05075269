// Object store side of large latents: the bucket, and the object name of one step.
import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient } from "@nats-io/jetstream";
import { Objm, type ObjectStore } from "@nats-io/obj";
import { DEFAULT_LATENT_MAX_AGE_MS, LATENT_OBJECT_BUCKET } from "./latent-stream.js";

/** Opens the object bucket, creating it (file storage, `ttlMs` per object) when missing. */
export function openLatentObjects(js: JetStreamClient | NatsConnection, ttlMs = DEFAULT_LATENT_MAX_AGE_MS): Promise<ObjectStore> {
  return new Objm(js).create(LATENT_OBJECT_BUCKET, {
    storage: StorageType.File,
    ttl: nanos(ttlMs),
    description: "emuedit latents larger than the server's max payload",
  });
}

/** One object per (edit, step): a reader holding an older reference never sees newer bytes. */
export function latentObjectName(editId: string, step: number): string {
  return `${editId}.${step}`;
}
