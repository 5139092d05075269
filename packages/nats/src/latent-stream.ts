import { nanos, type NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstreamManager, RetentionPolicy, type JetStreamManager, type StreamConfig, type StreamInfo } from "@nats-io/jetstream";
import { InvalidEditIdError } from "./errors.js";
import { ensureStream, storageType, type StorageKind } from "./stream-setup.js";

/** JetStream stream holding the newest latent of every edit (docs/architecture.md, "NATS"). */
export const LATENT_STREAM = "EMUEDIT_LATENTS";
export const LATENT_SUBJECT_PREFIX = "emuedit.latents";
/** Object store bucket for latents larger than the server's max payload. */
export const LATENT_OBJECT_BUCKET = "emuedit_latent_objects";
/**
 * How long a checkpoint stays resumable after its last step: long enough to resume an edit
 * on another replica after a crash, short enough that abandoned edits do not pile up.
 */
export const DEFAULT_LATENT_MAX_AGE_MS = 10 * 60_000;
/**
 * Memory: a latent lives for seconds (superseded by the next step, purged when its edit ends),
 * so writing it to disk buys nothing but write load; replicas, not the disk, are what let a
 * checkpoint outlive a server (docs/nats.md, "Latent storage").
 */
export const DEFAULT_LATENT_STORAGE: StorageKind = "memory";
/** JetStream's default duplicate window; it must not exceed max_age. */
const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

const EDIT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws InvalidEditIdError unless editId is a single safe subject token. */
export function validateEditId(editId: string): string {
  if (typeof editId !== "string" || !EDIT_ID.test(editId)) throw new InvalidEditIdError(String(editId));
  return editId;
}

/** emuedit.latents.<editId> */
export function latentSubject(editId: string): string {
  return `${LATENT_SUBJECT_PREFIX}.${validateEditId(editId)}`;
}

export interface LatentStreamOptions {
  /** Age after which a checkpoint is dropped (default DEFAULT_LATENT_MAX_AGE_MS). */
  maxAgeMs?: number;
  /** Stream max_msg_size in bytes; unset = the server's max payload. */
  maxMessageBytes?: number;
  /** Total stream size cap in bytes (the oldest latents go first); unset = unlimited (age, purge and per-subject limits bound it). */
  maxBytes?: number;
  /** Copies in the cluster (EMUEDIT_LATENT_REPLICAS, default 1). */
  replicas?: number;
  /** EMUEDIT_LATENT_STORAGE, default DEFAULT_LATENT_STORAGE. */
  storage?: StorageKind;
  /**
   * Called when an existing stream of the other storage type was deleted and created anew
   * (its latents are disposable); absent, such a stream is an error (StreamConfigConflictError).
   */
  onRecreate?: (message: string) => void;
}

/** The stream configuration ensureLatentStream applies. */
export function latentStreamConfig(options: LatentStreamOptions = {}): Partial<StreamConfig> & { name: string } {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_LATENT_MAX_AGE_MS;
  if (!(maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${maxAgeMs}`);
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new RangeError(`replicas must be 1..5, got ${replicas}`);
  return {
    name: LATENT_STREAM,
    subjects: [`${LATENT_SUBJECT_PREFIX}.>`],
    storage: storageType(options.storage ?? DEFAULT_LATENT_STORAGE),
    retention: RetentionPolicy.Limits,
    // The newest latent of an edit is its checkpoint; older steps are useless.
    max_msgs_per_subject: 1,
    max_age: nanos(maxAgeMs),
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(Math.min(maxAgeMs, DEFAULT_DUPLICATE_WINDOW_MS)),
    max_msg_size: options.maxMessageBytes ?? -1,
    max_bytes: options.maxBytes !== undefined && options.maxBytes > 0 ? options.maxBytes : -1,
    max_msgs: -1,
    max_consumers: -1,
    num_replicas: replicas,
    // readCheckpoint uses direct get (raw bytes, any replica).
    allow_direct: true,
    allow_rollup_hdrs: false,
    deny_delete: false,
    deny_purge: false,
  };
}

/**
 * Creates the latent stream, or brings an existing one to the wanted limits and replicas.
 * Idempotent. A stream of the other storage type cannot be converted by JetStream: with
 * `onRecreate` it is deleted and created anew (its latents are disposable), without it
 * StreamConfigConflictError says so.
 */
export async function ensureLatentStream(jsm: JetStreamManager, options: LatentStreamOptions = {}): Promise<StreamInfo> {
  return await ensureStream(jsm, latentStreamConfig(options), {
    label: "the latent stream",
    hint: "set EMUEDIT_LATENT_STORAGE to the existing stream's storage",
    ...(options.onRecreate ? { onRecreate: options.onRecreate } : {}),
  });
}

/**
 * ensureLatentStream now, and again after every reconnect: a memory stream on a single server
 * does not outlive the server's restart (a cluster keeps its definition in the meta group), and
 * an operator may delete the stream to change its storage. Resolves with the first result;
 * later failures go to `onError` (the next reconnect tries again).
 */
export async function maintainLatentStream(nc: NatsConnection, options: LatentStreamOptions, onError: (err: unknown) => void): Promise<StreamInfo> {
  const info = await ensureLatentStream(await jetstreamManager(nc), options);
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type !== "reconnect") continue;
      try {
        await ensureLatentStream(await jetstreamManager(nc), options);
      } catch (err) {
        onError(err);
      }
    }
  })().catch(onError);
  return info;
}
