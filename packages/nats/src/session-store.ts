// Editing sessions in JetStream (docs/architecture.md, "Sessions"): one KV record per session
// (its turns as a tree, and the head) and one object per turn image. A session is visible
// until `expiresAt` (its creation + the retention); the buckets' TTL drops what is left later.
import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import type { ObjectStore } from "@nats-io/obj";
import { openKvBucket, openObjectBucket } from "./kv-bucket.js";
import { InvalidSessionIdError, SessionNotFoundError, SessionRecordFormatError } from "./errors.js";
import type { JobError } from "./job-store.js";
import { updateWithRevision } from "./revision-update.js";

/** KV bucket: session id -> SessionRecord JSON. */
export const SESSION_BUCKET = "emuedit_sessions";
/** Object store: `<session id>.<turn id>`, the turn's image (PNG). */
export const SESSION_OBJECT_BUCKET = "emuedit_session_objects";

export const TurnState = {
  Running: "running",
  Succeeded: "succeeded",
  Failed: "failed",
  Cancelled: "cancelled",
} as const;
export type TurnState = (typeof TurnState)[keyof typeof TurnState];

/** The image a succeeded turn holds. */
export interface TurnImage {
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

export interface SessionTurn {
  /** 0 is the uploaded image; edits count up from 1 in the order they were asked for. */
  readonly id: number;
  /** The turn whose image this turn edited; null for turn 0. */
  readonly parent: number | null;
  readonly state: TurnState;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly finishedAt?: number;
  /** The asynchronous edit job running the turn (its id names its events). */
  readonly jobId?: string;
  /** The turn's edit request as JSON; the gateway owns its shape. */
  readonly request?: unknown;
  /** What the edit reported (task, seed, thresholding); the gateway owns its shape. */
  readonly outcome?: unknown;
  readonly image?: TurnImage;
  readonly error?: JobError;
}

export interface SessionRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** After this (ms since the epoch) the session is gone for readers. */
  readonly expiresAt: number;
  /** The turn the next edit starts from. */
  readonly head: number;
  /** Indexed by turn id. */
  readonly turns: readonly SessionTurn[];
}

export interface StoredSession {
  readonly record: SessionRecord;
  readonly revision: number;
}

export interface SessionStoreOptions {
  /** How long a session lives after its creation, ms. */
  readonly retentionMs: number;
  /** Copies per bucket in a JetStream cluster; default 1. */
  readonly replicas?: number;
}

export interface SessionStore {
  readonly retentionMs: number;
  /** Stores turn 0's image, then the record. */
  create(record: SessionRecord, image: Uint8Array): Promise<StoredSession>;
  /** null when unknown or expired. */
  get(id: string): Promise<StoredSession | null>;
  /** Revision-checked read-modify-write (see updateWithRevision); SessionNotFoundError when gone. */
  mutate(id: string, change: (current: SessionRecord) => SessionRecord): Promise<StoredSession>;
  putImage(id: string, turn: number, bytes: Uint8Array): Promise<void>;
  getImage(id: string, turn: number): Promise<Uint8Array | null>;
  delete(id: string): Promise<void>;
  /** Sessions the bucket holds (expired ones included until the TTL drops them). */
  count(): Promise<number>;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function validateSessionId(id: string): string {
  if (typeof id !== "string" || !SESSION_ID.test(id)) throw new InvalidSessionIdError(String(id));
  return id;
}

function encode(record: SessionRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record));
}

function decode(id: string, value: Uint8Array): SessionRecord {
  let r: Partial<SessionRecord>;
  try {
    r = JSON.parse(new TextDecoder().decode(value)) as Partial<SessionRecord>;
  } catch (err) {
    throw new SessionRecordFormatError(`session ${id}: record is not JSON`, { cause: err });
  }
  if (r === null || typeof r !== "object" || r.id !== id || !Array.isArray(r.turns) || typeof r.head !== "number" || typeof r.expiresAt !== "number") {
    throw new SessionRecordFormatError(`session ${id}: record lacks id, turns, head or expiresAt`);
  }
  return r as SessionRecord;
}

const objectName = (id: string, turn: number) => `${validateSessionId(id)}.${turn}`;

export async function openSessionStore(nc: NatsConnection, options: SessionStoreOptions): Promise<SessionStore> {
  // The KV record is rewritten at every turn, so its TTL alone would outlive the first turn's
  // image; `expiresAt` hides the session at creation + retention, before any of its images expire.
  const common = { ttlMs: options.retentionMs, ...(options.replicas !== undefined ? { replicas: options.replicas } : {}) };
  const [sessions, objects]: [KV, ObjectStore] = await Promise.all([
    openKvBucket(nc, SESSION_BUCKET, { ...common, description: "emuedit editing sessions: id -> session record JSON" }),
    openObjectBucket(nc, SESSION_OBJECT_BUCKET, { ...common, description: "emuedit session turn images" }),
  ]);

  async function get(id: string): Promise<StoredSession | null> {
    const e = await sessions.get(validateSessionId(id));
    if (e === null || e.operation !== "PUT") return null;
    const record = decode(id, e.value);
    return record.expiresAt <= Date.now() ? null : { record, revision: e.revision };
  }

  return {
    retentionMs: options.retentionMs,
    async create(record, image) {
      await objects.putBlob({ name: objectName(record.id, 0) }, image);
      return { record, revision: await sessions.create(validateSessionId(record.id), encode(record)) };
    },
    get,
    mutate: (id, change) => updateWithRevision(sessions, validateSessionId(id), () => get(id), change, encode, () => new SessionNotFoundError(id)),
    async putImage(id, turn, bytes) {
      await objects.putBlob({ name: objectName(id, turn) }, bytes);
    },
    getImage: (id, turn) => objects.getBlob(objectName(id, turn)),
    async delete(id) {
      const s = await get(id);
      if (s === null) throw new SessionNotFoundError(id);
      await sessions.purge(id);
      await Promise.all(s.record.turns.map((t) => objects.delete(objectName(id, t.id)).catch(() => undefined)));
    },
    async count() {
      return (await sessions.status()).values;
    },
  };
}
