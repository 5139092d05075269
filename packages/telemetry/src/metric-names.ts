/**
 * Metric names of emuedit (Prometheus exposition names in comments; counters get `_total`).
 * Durations are milliseconds; names carry the unit.
 */
export const MetricName = {
  /** Histogram, ms, attribute `stage` (decode, resize, text_encode, vae_encode, denoise, vae_decode, encode). Gateway. */
  StageDurationMs: "emuedit_stage_duration_ms",
  /** Gauge, attribute `stage` (text-encoder, vae, unet): calls sent to the stage and not yet answered, seen from the gateway. */
  StageInFlightEdits: "emuedit_stage_in_flight_edits",
  /** Gauge, attribute `stage`: edits the gateway holds because the stage has no ready replica (scale from zero reads it). */
  StageWaitingEdits: "emuedit_stage_waiting_edits",
  /** Histogram, ms, attribute `stage`: how long an edit waited for a ready replica of the stage (only edits that waited). */
  ColdStartWaitMs: "emuedit_cold_start_wait_ms",
  /** Gauge, attribute `service`: 1 while a service process reports SERVING, 0 while loading or draining (sum = ready replicas). */
  ServiceReady: "emuedit_service_ready",
  /** Counter, attribute `method` (the gRPC path) -> emuedit_grpc_server_calls_total: calls a service process received. */
  GrpcServerCalls: "emuedit_grpc_server_calls",
  /** Gauge, attribute `model` (unet, vae_encoder, ...): inference calls waiting for a worker in a model service (KEDA scales on it). */
  ModelQueueDepth: "emuedit_model_queue_depth",
  /** Gauge, attribute `model`: inference calls running in a model service's workers. */
  ModelRunsInFlight: "emuedit_model_runs_in_flight",
  /** Histogram: edits per UNet call (the unet service's step batcher). */
  BatchSize: "emuedit_batch_size",
  /** Counter -> emuedit_task_cache_hits_total: lookups of a named task found in the gateway's cache. */
  TaskCacheHits: "emuedit_task_cache_hits",
  /** Counter -> emuedit_task_cache_misses_total: lookups of a named task the cache does not hold. */
  TaskCacheMisses: "emuedit_task_cache_misses",
  /** Counter, attributes `outcome` (ok or the error code) and `task` -> emuedit_edits_total. Gateway. */
  Edits: "emuedit_edits",
  /** Histogram, ms, attribute `outcome`: one edit end to end, request parsed to reply encoded. Gateway. */
  EditDurationMs: "emuedit_edit_duration_ms",
  /** Counter, attributes `stage` (text-encoder, vae, unet) and `code` (the error code) -> emuedit_stage_errors_total: failed downstream calls. Gateway. */
  StageErrors: "emuedit_stage_errors",
  /** Histogram, ms, attribute `model`: how long an inference request waited for a worker (a batcher's wait included). Model services. */
  ModelQueueWaitMs: "emuedit_model_queue_wait_ms",
  /** Histogram, ms, attribute `model`: how long one ONNX call ran in its worker. Model services. */
  ModelRunMs: "emuedit_model_run_ms",
  /** Histogram, ms: one latent publish to JetStream, until acked (object store put included). Unet. */
  LatentPublishDurationMs: "emuedit_latent_publish_duration_ms",
  /** Counter -> emuedit_latent_publish_failures_total: latent publishes that failed (the edit stops publishing). Unet. */
  LatentPublishFailures: "emuedit_latent_publish_failures",
  /** Counter -> process_cpu_seconds_total: user + system CPU time of the process, seconds. Every service. */
  ProcessCpuSeconds: "process_cpu_seconds",
  /** Gauge: resident set size of the process, bytes. Every service. */
  ProcessResidentMemoryBytes: "process_resident_memory_bytes",
  /** Gauge: V8 heap in use, bytes. Every service. */
  ProcessHeapUsedBytes: "nodejs_heap_used_bytes",
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];

/** Stage latency buckets, ms: sub-ms tokenization up to multi-minute CPU denoising. */
export const STAGE_DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000];
/** Model call buckets, ms: a sub-ms text encoder call up to a minute-long UNet step on a busy CPU. */
export const MODEL_CALL_BUCKETS_MS = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000];
/** Latent publish buckets, ms: a local JetStream ack is about a millisecond; the publish timeout caps it (1 s by default). */
export const LATENT_PUBLISH_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
/** Batch size buckets (edits per batch). */
export const BATCH_SIZE_BUCKETS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32];
