// API keys of the gateway, in the KV bucket emuedit_api_keys so every gateway replica sees the
// same keys. A key is `emk_<id>_<secret>`: the id (public, the KV key) finds the record, the
// record holds only SHA-256 of the whole key, never the secret. 32 random bytes of secret make a
// salt and a slow hash pointless (no dictionary reaches 2^256), and keep the lookup one hash.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import { EmueditError, Status } from "@emuedit/errors";
import { openKvBucket } from "./kv-bucket.js";

export const API_KEY_BUCKET = "emuedit_api_keys";

/** What a key may do: `edit` the edit APIs and task listing, `admin` task-registry writes. */
export const ApiKeyScope = { Edit: "edit", Admin: "admin" } as const;
export type ApiKeyScope = (typeof ApiKeyScope)[keyof typeof ApiKeyScope];
export const API_KEY_SCOPES: readonly ApiKeyScope[] = Object.values(ApiKeyScope);

/** Per-key quota overrides; an absent one takes the gateway's default setting. */
export interface ApiKeyLimits {
  readonly ratePerS?: number;
  readonly burst?: number;
  readonly maxConcurrentEdits?: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Hex SHA-256 of the whole key string. */
  readonly sha256: string;
  readonly createdAt: string;
  readonly limits: ApiKeyLimits;
}

const KEY_PATTERN = /^emk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ID_PATTERN = /^[0-9a-f]{16}$/;

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The id of a well-formed key string, else null (the caller answers 401 either way). */
export function apiKeyId(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** True when `key` is the key `record` was made for (constant time in the hash). */
export function apiKeyMatches(record: ApiKeyRecord, key: string): boolean {
  const a = Buffer.from(sha256Hex(key), "hex");
  const b = Buffer.from(record.sha256, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function validateApiKeyId(id: string): string {
  if (!ID_PATTERN.test(id)) throw new EmueditError(Status.InvalidArgument, `invalid API key id ${JSON.stringify(id)}: expected 16 hex digits`);
  return id;
}

function validateLimits(limits: ApiKeyLimits): ApiKeyLimits {
  for (const [name, v] of Object.entries(limits)) {
    if (v !== undefined && !(typeof v === "number" && Number.isFinite(v) && v > 0)) {
      throw new EmueditError(Status.InvalidArgument, `${name}: must be a positive number, got ${JSON.stringify(v)}`);
    }
  }
  return limits;
}

export function decodeApiKeyRecord(id: string, bytes: Uint8Array): ApiKeyRecord {
  const o = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<ApiKeyRecord>;
  if (o.id !== id || typeof o.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(o.sha256) || !Array.isArray(o.scopes)) {
    throw new EmueditError(Status.Internal, `API key record ${id} is malformed`);
  }
  const scopes = o.scopes.filter((s): s is ApiKeyScope => API_KEY_SCOPES.includes(s));
  return { id, name: String(o.name ?? ""), scopes, sha256: o.sha256, createdAt: String(o.createdAt ?? ""), limits: validateLimits(o.limits ?? {}) };
}

export interface ApiKeyStore {
  /** Makes a key; the returned `key` string is shown once and stored nowhere. */
  create(input: { name: string; scopes: readonly ApiKeyScope[]; limits?: ApiKeyLimits }): Promise<{ key: string; record: ApiKeyRecord }>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every live key, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** False when no such key exists. */
  revoke(id: string): Promise<boolean>;
  /** The bucket itself, for watchers (ApiKeyCache). */
  readonly kv: KV;
}

export async function openApiKeyStore(nc: NatsConnection, options: { replicas?: number; bucket?: string } = {}): Promise<ApiKeyStore> {
  const kv = await openKvBucket(nc, options.bucket ?? API_KEY_BUCKET, {
    description: "emuedit API keys: id -> {name, scopes, sha256 of the key, limits}",
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
  });

  async function get(id: string): Promise<ApiKeyRecord | null> {
    const e = await kv.get(validateApiKeyId(id));
    return e === null || e.operation !== "PUT" ? null : decodeApiKeyRecord(id, e.value);
  }

  return {
    kv,
    async create({ name, scopes, limits = {} }) {
      if (scopes.length === 0) throw new EmueditError(Status.InvalidArgument, `scopes: name at least one of ${API_KEY_SCOPES.join(", ")}`);
      for (const s of scopes) {
        if (!API_KEY_SCOPES.includes(s)) throw new EmueditError(Status.InvalidArgument, `scope: must be one of ${API_KEY_SCOPES.join(", ")}, got ${JSON.stringify(s)}`);
      }
      const id = randomBytes(8).toString("hex");
      const key = `emk_${id}_${randomBytes(32).toString("base64url")}`;
      const record: ApiKeyRecord = { id, name, scopes: [...new Set(scopes)], sha256: sha256Hex(key), createdAt: new Date().toISOString(), limits: validateLimits(limits) };
      await kv.create(id, JSON.stringify(record));
      return { key, record };
    },
    get,
    async list() {
      const out: ApiKeyRecord[] = [];
      for await (const id of await kv.keys()) {
        const r = ID_PATTERN.test(id) ? await get(id) : null;
        if (r !== null) out.push(r);
      }
      return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    },
    async revoke(id) {
      if ((await get(id)) === null) return false;
      await kv.delete(id);
      return true;
    },
  };
}
