// Settings and start-up shared by the three model services (text-encoder, vae, unet).
import path from "node:path";
import { fileURLToPath } from "node:url";
import { intSetting, stringSetting, type SettingSpec } from "./settings.js";

/** Repository root, for defaults that point into the checkout (models/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The model package every service loads unless EMUEDIT_MODEL_DIR says otherwise. */
export const DEFAULT_MODEL_DIR = path.join(REPO_ROOT, "models", "emu-edit-tiny");

export function modelServiceSettings(prefix: string, defaultPort: number) {
  return {
    modelDir: stringSetting("EMUEDIT_MODEL_DIR", DEFAULT_MODEL_DIR, "model package folder (DESIGN.md section 3)"),
    host: stringSetting(`${prefix}_HOST`, "127.0.0.1", "address the gRPC server binds (0.0.0.0 in containers)"),
    port: intSetting(`${prefix}_PORT`, defaultPort, "gRPC port", { min: 0, max: 65535 }),
    workers: intSetting(`${prefix}_WORKERS`, 1, "worker threads per model, each with its own onnxruntime session", { min: 1, max: 64 }),
    intraOpThreads: intSetting(`${prefix}_INTRA_OP_THREADS`, 1, "onnxruntime intra-op threads per worker", { min: 1, max: 256 }),
    maxQueue: intSetting(`${prefix}_MAX_QUEUE`, 64, "inference calls waiting per model before RESOURCE_EXHAUSTED", { min: 1, max: 100000 }),
    shutdownGraceMs: intSetting("EMUEDIT_SHUTDOWN_GRACE_MS", 15000, "how long SIGTERM waits for in-flight calls", { min: 0, max: 600000 }),
    metricsPort: intSetting(`${prefix}_METRICS_PORT`, 0, "Prometheus scrape port (0 = off)", { min: 0, max: 65535 }),
    otlpEndpoint: stringSetting("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/HTTP traces endpoint (empty = traces not exported)"),
  } satisfies Record<string, SettingSpec<unknown>>;
}

/** Message limit with headroom over the largest tensor a call can carry (grpc-js default is 4 MiB). */
export function messageLimitBytes(largestPayloadBytes: number): number {
  return Math.max(4 * 1024 * 1024, Math.ceil(largestPayloadBytes * 1.25) + 64 * 1024);
}
