import { nanos } from "@nats-io/transport-node";
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { InvalidEditIdError } from "./errors.js";

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
  /** Total stream size cap in bytes; unset = unlimited (age and per-subject limits bound it). */
  maxBytes?: number;
}

/** The stream configuration ensureLatentStream applies. */
export function latentStreamConfig(options: LatentStreamOptions = {}): Partial<StreamConfig> & { name: string } {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_LATENT_MAX_AGE_MS;
  if (!(maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${maxAgeMs}`);
  return {
    name: LATENT_STREAM,
    subjects: [`${LATENT_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // The newest latent of an edit is its checkpoint; older steps are useless.
    max_msgs_per_subject: 1,
    max_age: nanos(maxAgeMs),
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(Math.min(maxAgeMs, DEFAULT_DUPLICATE_WINDOW_MS)),
    max_msg_size: options.maxMessageBytes ?? -1,
    max_bytes: options.maxBytes ?? -1,
    max_msgs: -1,
    max_consumers: -1,
    num_replicas: 1,
    // readCheckpoint uses direct get (raw bytes, any replica).
    allow_direct: true,
    allow_rollup_hdrs: false,
    deny_delete: false,
    deny_purge: false,
  };
}

/** Creates the latent stream, or updates an existing one to the wanted limits. Idempotent. */
export async function ensureLatentStream(jsm: JetStreamManager, options: LatentStreamOptions = {}): Promise<StreamInfo> {
  const config = latentStreamConfig(options);
  try {
    await jsm.streams.info(LATENT_STREAM);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) {
      return await jsm.streams.add(config);
    }
    throw err;
  }
  const { name: _name, storage: _storage, retention: _retention, ...update } = config;
  return await jsm.streams.update(LATENT_STREAM, update);
}
