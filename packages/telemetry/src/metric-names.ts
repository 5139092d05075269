/**
 * Metric names of emuedit (Prometheus exposition names in comments; counters get `_total`).
 * Durations are milliseconds; names carry the unit.
 */
export const MetricName = {
  /** Histogram, ms, attribute `stage` (tokenize, text_encode, vae_encode, denoise, vae_decode, ...). */
  StageDurationMs: "emuedit_stage_duration_ms",
  /** Gauge, attribute `stage`: requests waiting for a stage (KEDA scales on it). */
  QueueDepth: "emuedit_queue_depth",
  /** Histogram: edits per UNet batch. */
  BatchSize: "emuedit_batch_size",
  /** Counter -> emuedit_task_cache_hits_total. */
  TaskCacheHits: "emuedit_task_cache_hits",
  /** Counter -> emuedit_task_cache_misses_total. */
  TaskCacheMisses: "emuedit_task_cache_misses",
  /** Counter, attribute `status` (ok, invalid_argument, ...) -> emuedit_edits_total. */
  Edits: "emuedit_edits",
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Stage latency buckets, ms: sub-ms tokenization up to multi-minute CPU denoising. */
export const STAGE_DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000];
/** Batch size buckets (edits per batch). */
export const BATCH_SIZE_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
