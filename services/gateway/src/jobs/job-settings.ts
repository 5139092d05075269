// Settings of asynchronous edit jobs (docs/api.md, "Asynchronous edits"; docs/operations.md).
import { intSetting, stringSetting } from "@emuedit/service-kit";

export const jobSettings = {
  instanceName: stringSetting(
    "EMUEDIT_GATEWAY_INSTANCE",
    "",
    "this gateway's stable name among its replicas (e.g. the pod name): at start it takes back at once the jobs its previous process left; empty = a random name, and such jobs wait for their lease to run out",
  ),
  maxQueuedJobs: intSetting("EMUEDIT_MAX_QUEUED_JOBS", 256, "async jobs one gateway holds (queued or running) before new ones get 503 with Retry-After", { min: 1, max: 1000000 }),
  maxRunningJobs: intSetting("EMUEDIT_MAX_RUNNING_JOBS", 4, "async jobs one gateway runs at once (they count against EMUEDIT_MAX_CONCURRENT_EDITS); the others wait queued", { min: 1, max: 10000 }),
  jobRetentionMs: intSetting("EMUEDIT_JOB_RETENTION_MS", 86_400_000, "how long a job's state, input and result stay in JetStream after its last change", { min: 60_000, max: 30 * 86_400_000 }),
  jobLeaseMs: intSetting("EMUEDIT_JOB_LEASE_MS", 15_000, "how long a gateway's claim on a job holds without renewal; a job whose owner stopped renewing is taken over by another gateway after this", { min: 1000, max: 3_600_000 }),
  jobMaxAttempts: intSetting("EMUEDIT_JOB_MAX_ATTEMPTS", 3, "runs of one job (the first included) before a job whose gateways keep dying is marked failed", { min: 1, max: 100 }),
  ssePreviewIntervalMs: intSetting("EMUEDIT_SSE_PREVIEW_INTERVAL_MS", 250, "least time between two preview images on one event stream (steps in between go without one)", { min: 0, max: 600_000 }),
  sseHeartbeatMs: intSetting("EMUEDIT_SSE_HEARTBEAT_MS", 15_000, "interval of the comment line an idle event stream sends so proxies keep it open", { min: 100, max: 600_000 }),
  maxSseConnections: intSetting("EMUEDIT_MAX_SSE_CONNECTIONS", 1000, "open event streams per gateway before new ones get 503", { min: 1, max: 1_000_000 }),
  webhookSecret: stringSetting("EMUEDIT_WEBHOOK_SECRET", "", "HMAC-SHA256 key of the X-Emuedit-Signature header of job webhooks (empty = callback_url is refused)"),
  webhookMaxAttempts: intSetting("EMUEDIT_WEBHOOK_MAX_ATTEMPTS", 5, "deliveries tried per webhook before it is given up", { min: 1, max: 100 }),
  webhookBackoffMs: intSetting("EMUEDIT_WEBHOOK_BACKOFF_MS", 1000, "wait before the second delivery of a webhook; doubled after each failure", { min: 10, max: 3_600_000 }),
  webhookTimeoutMs: intSetting("EMUEDIT_WEBHOOK_TIMEOUT_MS", 10_000, "how long one webhook delivery may take before it counts as failed", { min: 100, max: 600_000 }),
};
