// Settings and start-up shared by the services: the model services' (text-encoder, vae, unet)
// and the few every process has (shutdown, logs, telemetry).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_EDIT_LIMITS } from "@emuedit/edit-contract";
import { LOG_LEVELS } from "./log.js";
import { choiceSetting, floatSetting, intSetting, stringSetting, type SettingSpec } from "./settings.js";

/** onnxruntime execution providers a model service can be told to use (onnxruntime-node's names). */
export const EXECUTION_PROVIDERS = ["cpu", "cuda"] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Repository root, for defaults that point into the checkout (models/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The model package every service loads unless EMUEDIT_MODEL_DIR says otherwise. */
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, "models", "emu-edit-tiny");

/** What every service process reads: logging, shutdown, telemetry. */
export function processSettings(metricsPortEnv: string) {
  return {
    logLevel: choiceSetting("EMUEDIT_LOG_LEVEL", "info", LOG_LEVELS, "least level of the log lines written to stderr"),
    shutdownDelayMs: intSetting(
      "EMUEDIT_SHUTDOWN_DELAY_MS",
      2000,
      "after SIGTERM: how long the service reports not ready while still answering, so load balancers and clients move away before it stops accepting (pnpm start sets 0: it stops the gateway first)",
      { min: 0, max: 600000 },
    ),
    shutdownGraceMs: intSetting("EMUEDIT_SHUTDOWN_GRACE_MS", 15000, "after it stops accepting: how long in-flight calls may take before they are cancelled", { min: 0, max: 600000 }),
    metricsPort: intSetting(metricsPortEnv, 0, "Prometheus scrape port (0 = off)", { min: 0, max: 65535 }),
    otlpEndpoint: stringSetting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/HTTP traces endpoint (empty = traces not exported)"),
  } satisfies Record<string, SettingSpec<unknown>>;
}

export function modelServiceSettings(prefix: string, defaultPort: number) {
  return {
    modelDir: stringSetting("EMUEDIT_MODEL_DIR", DEFAULT_MODEL_DIR, "model package folder (docs/model-package.md)"),
    host: stringSetting(`${prefix}_HOST`, "127.0.0.1", "address the gRPC server binds (0.0.0.0 in containers)"),
    port: intSetting(`${prefix}_PORT`, defaultPort, "gRPC port", { min: 0, max: 65535 }),
    workers: intSetting(`${prefix}_WORKERS`, 0, "worker threads per model, each with its own onnxruntime session; 0 (default): one session on the main thread, no thread hop per call (docs/benchmarks.md, per-edit overhead)", { min: 0, max: 64 }),
    intraOpThreads: intSetting(`${prefix}_INTRA_OP_THREADS`, 1, "onnxruntime intra-op threads per worker", { min: 1, max: 256 }),
    maxQueue: intSetting(`${prefix}_MAX_QUEUE`, 64, "inference calls waiting per model before RESOURCE_EXHAUSTED", { min: 1, max: 100000 }),
    executionProvider: choiceSetting(
      "EMUEDIT_EXECUTION_PROVIDER",
      "cpu",
      EXECUTION_PROVIDERS,
      "onnxruntime execution provider; cuda needs onnxruntime-node's CUDA libraries (docs/deploy.md, GPU nodes) and fails at start-up without them",
    ),
    ...processSettings(`${prefix}_METRICS_PORT`),
  } satisfies Record<string, SettingSpec<unknown>>;
}

/** The sampling limits, read by the gateway (its edges) and the unet (its own edge) alike. */
export function samplingLimitSettings() {
  return {
    maxSteps: intSetting("EMUEDIT_MAX_STEPS", DEFAULT_EDIT_LIMITS.maxSteps, "largest steps value (never above the model scheduler's num_train_timesteps, 1000 for diffusers' defaults: more cannot run)", { min: 1, max: 10000 }),
    maxGuidanceScale: floatSetting("EMUEDIT_MAX_GUIDANCE_SCALE", DEFAULT_EDIT_LIMITS.maxGuidanceScale, "largest guidance_scale / image_guidance_scale", {
      min: 0,
      max: 1000,
    }),
  } satisfies Record<string, SettingSpec<unknown>>;
}

/** Message limit with headroom over the largest tensor a call can carry (grpc-js default is 4 MiB). */
export function messageLimitBytes(largestPayloadBytes: number): number {
  return Math.max(4 * 1024 * 1024, Math.ceil(largestPayloadBytes * 1.25) + 64 * 1024);
}
