// Wiring of the public API's edge (API keys, quotas, idempotency, OpenAI endpoint) from the
// settings: opens its NATS buckets, fills the key cache, and says what it decided.
import { createApiKeyCache, openApiKeyStore, openKvBucket, openObjectBucket, openTaskRegistry, type ApiKeyCache, type TaskRegistry } from "@emuedit/nats";
import type { Logger } from "@emuedit/service-kit";
import type { NatsConnection } from "@nats-io/transport-node";
import type { AuthMode } from "./api-settings.js";
import { authRequired, createAccess, type Access } from "./auth/access.js";
import { createQuota } from "./auth/quota.js";
import type { EditAdmission } from "./edit-admission.js";
import { createIdempotency } from "./idempotency.js";
import { createImageResults } from "./image-results.js";
import type { OpenAiOptions } from "./openai.js";

export const QUOTA_BUCKET = "emuedit_quotas";
export const IDEMPOTENCY_BUCKET = "emuedit_idempotency";
export const IDEMPOTENCY_BODIES_BUCKET = "emuedit_idempotency_bodies";
export const IMAGE_RESULTS_BUCKET = "emuedit_image_results";

export interface ApiEdgeSettings {
  readonly auth: AuthMode;
  readonly httpHost: string;
  readonly grpcHost: string;
  readonly natsReplicas: number;
  readonly apiKeyRefreshMs: number;
  readonly keyRatePerS: number;
  readonly keyBurst: number;
  readonly keyMaxConcurrentEdits: number;
  readonly idempotencyTtlS: number;
  readonly maxTimeoutMs: number;
  readonly openaiMaxN: number;
  readonly openaiSizes: string;
  readonly imageUrlTtlS: number;
  readonly publicUrl: string;
}

export interface ApiEdge {
  readonly access: Access;
  readonly admission: EditAdmission;
  readonly openai: OpenAiOptions;
  readonly taskRegistry: TaskRegistry;
  close(): void;
}

export async function startApiEdge(nc: NatsConnection, s: ApiEdgeSettings, modelName: string, log: Logger): Promise<ApiEdge> {
  const replicas = s.natsReplicas;
  const required = authRequired(s.auth, [s.httpHost, s.grpcHost]);
  let keys: ApiKeyCache | null = null;
  if (required) {
    keys = createApiKeyCache(nc, await openApiKeyStore(nc, { replicas }), {
      refreshMs: s.apiKeyRefreshMs,
      onError: (err) => log.warn("API key cache error", { error: err.message }),
      onChange: (c) => log.info("API key change", { op: c.op, api_key: c.id }),
    });
    await keys.start();
  }
  // A lease outlives the longest edit a client may ask for: a crashed replica's slots free then.
  const leaseMs = s.maxTimeoutMs + 10_000;
  const quota = required ? createQuota(await openKvBucket(nc, QUOTA_BUCKET, { description: "emuedit per-API-key rate and concurrency state", replicas, ttlMs: leaseMs + 3_600_000 }), { leaseMs, onError: (err) => log.warn("quota store error; request let through", { error: String(err) }) }) : null;
  const access = createAccess({
    required,
    keys,
    quota,
    defaults: { ratePerS: s.keyRatePerS, burst: s.keyBurst, maxConcurrentEdits: s.keyMaxConcurrentEdits },
  });
  const ttlMs = s.idempotencyTtlS * 1000;
  const idempotency = createIdempotency(
    await openKvBucket(nc, IDEMPOTENCY_BUCKET, { description: "emuedit Idempotency-Key claims and replies", replicas, ttlMs }),
    await openObjectBucket(nc, IDEMPOTENCY_BODIES_BUCKET, { description: "emuedit bodies of idempotent replies", replicas, ttlMs }),
    (err) => log.warn("idempotent reply not stored", { error: String(err) }),
  );
  const results = createImageResults(
    await openObjectBucket(nc, IMAGE_RESULTS_BUCKET, { description: "emuedit images of response_format=url", replicas, ttlMs: s.imageUrlTtlS * 1000 }),
  );
  log.info("api edge", { auth: required ? "required" : "off", setting: s.auth, api_keys: keys?.size ?? 0 });
  return {
    access,
    admission: { access, idempotency, claimMs: leaseMs },
    openai: {
      modelName,
      maxN: s.openaiMaxN,
      sizes: s.openaiSizes.split(",").map((x) => x.trim()).filter((x) => /^\d+x\d+$/.test(x)),
      results,
      publicUrl: s.publicUrl.replace(/\/+$/, ""),
    },
    taskRegistry: await openTaskRegistry(nc),
    close: () => keys?.close(),
  };
}
