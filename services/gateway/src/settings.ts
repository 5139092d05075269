import { DEFAULT_MODEL_DIR, floatSetting, intSetting, stringSetting, boolSetting } from "@emuedit/service-kit";

export const gatewaySettings = {
  modelDir: stringSetting("EMUEDIT_MODEL_DIR", DEFAULT_MODEL_DIR, "model package (the gateway reads its metadata and task table, never its weights)"),
  httpHost: stringSetting("EMUEDIT_GATEWAY_HOST", "127.0.0.1", "HTTP bind address (0.0.0.0 in containers)"),
  httpPort: intSetting("EMUEDIT_GATEWAY_HTTP_PORT", 8080, "HTTP port", { min: 0, max: 65535 }),
  grpcHost: stringSetting("EMUEDIT_GATEWAY_GRPC_HOST", "127.0.0.1", "gRPC (EditorService) bind address"),
  grpcPort: intSetting("EMUEDIT_GATEWAY_GRPC_PORT", 50051, "gRPC (EditorService) port", { min: 0, max: 65535 }),
  textEncoderAddress: stringSetting("EMUEDIT_TEXT_ENCODER_ADDRESS", "127.0.0.1:50061", "text-encoder service host:port"),
  vaeAddress: stringSetting("EMUEDIT_VAE_ADDRESS", "127.0.0.1:50062", "vae service host:port"),
  unetAddress: stringSetting("EMUEDIT_UNET_ADDRESS", "127.0.0.1:50063", "unet service host:port"),
  natsUrl: stringSetting("NATS_URL", "nats://127.0.0.1:4222", "NATS server with JetStream (task registry, latent previews)"),
  maxBodyBytes: intSetting("EMUEDIT_MAX_BODY_BYTES", 16 * 1024 * 1024, "largest HTTP request body (413 above)", { min: 1024, max: 1 << 30 }),
  maxInputPixels: intSetting("EMUEDIT_MAX_INPUT_PIXELS", 25_000_000, "largest width*height of an uploaded image (decompression bombs)", { min: 1, max: 1 << 30 }),
  maxInstructionChars: intSetting("EMUEDIT_MAX_INSTRUCTION_CHARS", 1000, "longest instruction, characters", { min: 1, max: 100000 }),
  maxSteps: intSetting("EMUEDIT_MAX_STEPS", 150, "largest steps value", { min: 1, max: 10000 }),
  maxGuidanceScale: floatSetting("EMUEDIT_MAX_GUIDANCE_SCALE", 30, "largest guidance_scale / image_guidance_scale", { min: 0, max: 1000 }),
  maxWorkingSidePx: intSetting("EMUEDIT_MAX_WORKING_SIDE_PX", 0, "cap on the model's working side, px (0 = the model's resolution)", { min: 0, max: 16384 }),
  defaultTimeoutMs: intSetting("EMUEDIT_DEFAULT_TIMEOUT_MS", 60000, "deadline of an edit that names none", { min: 100, max: 3600000 }),
  maxTimeoutMs: intSetting("EMUEDIT_MAX_TIMEOUT_MS", 300000, "largest deadline a client may ask for", { min: 100, max: 3600000 }),
  maxConcurrentEdits: intSetting("EMUEDIT_MAX_CONCURRENT_EDITS", 64, "edits in flight before new ones get 503", { min: 1, max: 100000 }),
  previewEvery: intSetting("EMUEDIT_PREVIEW_EVERY", 1, "publish a latent every N denoising steps", { min: 1, max: 10000 }),
  retryAfterS: intSetting("EMUEDIT_RETRY_AFTER_S", 5, "Retry-After seconds sent with 503", { min: 1, max: 3600 }),
  readyCheckMs: intSetting("EMUEDIT_READY_CHECK_MS", 1000, "deadline of each downstream health check in /readyz", { min: 10, max: 60000 }),
  seedTasks: boolSetting("EMUEDIT_SEED_TASKS", true, "seed the emuedit_tasks KV bucket from the model package (idempotent)"),
  shutdownGraceMs: intSetting("EMUEDIT_SHUTDOWN_GRACE_MS", 15000, "how long SIGTERM waits for in-flight edits", { min: 0, max: 600000 }),
  metricsPort: intSetting("EMUEDIT_GATEWAY_METRICS_PORT", 0, "Prometheus scrape port (0 = off)", { min: 0, max: 65535 }),
  otlpEndpoint: stringSetting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/HTTP traces endpoint (empty = traces not exported)"),
};

export interface EditLimits {
  readonly maxInstructionChars: number;
  readonly maxSteps: number;
  readonly maxGuidanceScale: number;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
}
