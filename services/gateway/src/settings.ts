import { DEFAULT_EDIT_LIMITS } from "@emuedit/edit-contract";
import { parseReplicaAddress } from "@emuedit/proto";
import { apiSettings } from "./api-settings.js";
import { jobSettings } from "./jobs/job-settings.js";
import { boolSetting, DEFAULT_MODEL_DIR, floatSetting, intSetting, natsConnectionSettings, processSettings, samplingLimitSettings, stringSetting, type SettingSpec } from "@emuedit/service-kit";
import { sessionSettings } from "./sessions/session-settings.js";

const REPLICA_FORMS = "host:port, a list h1:p1,h2:p2, or dns:///name:port (every address of the name; a headless Service)";

/** A stage's replicas (downstream.ts spreads calls over them); a malformed address fails start-up. */
function replicaAddressSetting(env: string, def: string, stage: string): SettingSpec<string> {
  return {
    env,
    default: def,
    doc: `${stage} replicas: ${REPLICA_FORMS}`,
    parse(raw) {
      try {
        parseReplicaAddress(raw);
        return raw.trim();
      } catch (err) {
        return { error: `${err instanceof Error ? err.message : String(err)}; expected ${REPLICA_FORMS}` };
      }
    },
  };
}

export const gatewaySettings = {
  modelDir: stringSetting("EMUEDIT_MODEL_DIR", DEFAULT_MODEL_DIR, "model package (the gateway reads its metadata and task table, never its weights)"),
  httpHost: stringSetting("EMUEDIT_GATEWAY_HOST", "127.0.0.1", "HTTP bind address (0.0.0.0 in containers)"),
  httpPort: intSetting("EMUEDIT_GATEWAY_HTTP_PORT", 8080, "HTTP port", { min: 0, max: 65535 }),
  grpcHost: stringSetting("EMUEDIT_GATEWAY_GRPC_HOST", "127.0.0.1", "gRPC (EditorService) bind address"),
  grpcPort: intSetting("EMUEDIT_GATEWAY_GRPC_PORT", 50051, "gRPC (EditorService) port", { min: 0, max: 65535 }),
  textEncoderAddress: replicaAddressSetting("EMUEDIT_TEXT_ENCODER_ADDRESS", "127.0.0.1:50061", "text-encoder"),
  vaeAddress: replicaAddressSetting("EMUEDIT_VAE_ADDRESS", "127.0.0.1:50062", "vae"),
  unetAddress: replicaAddressSetting("EMUEDIT_UNET_ADDRESS", "127.0.0.1:50063", "unet"),
  resolveIntervalMs: intSetting(
    "EMUEDIT_RESOLVE_INTERVAL_MS",
    5000,
    "how often each replica address is looked up again, so a replica added later (a new DNS record) gets work without a gateway restart",
    { min: 100, max: 3600000 },
  ),
  coldStartWaitMs: intSetting(
    "EMUEDIT_COLD_START_WAIT_MS",
    0,
    "how long an edit waits for a stage with no ready replica (scale from zero) before 503, never past its deadline; 0 = 503 after at most one reconnect backoff (1 s). Above 0, /readyz no longer fails for a stage without replicas",
    { min: 0, max: 3600000 },
  ),
  ...natsConnectionSettings("task registry, latent previews"),
  natsReplicas: intSetting(
    "EMUEDIT_NATS_REPLICAS",
    1,
    "copies of every key-value bucket and object store the gateway opens (task registry, jobs, sessions, API keys, quotas, idempotency, image results) in the NATS cluster: 1 on a single server, 3 in a 3-node cluster; an existing bucket is scaled to it",
    { min: 1, max: 5 },
  ),
  maxBodyBytes: intSetting(
    "EMUEDIT_MAX_BODY_BYTES",
    16 * 1024 * 1024,
    "largest HTTP request body (413 above; of a refused upload at most this much more is read and dropped, then the connection is cut)",
    { min: 1024, max: 1 << 30 },
  ),
  maxInputPixels: intSetting("EMUEDIT_MAX_INPUT_PIXELS", 25_000_000, "largest width*height of an uploaded image (decompression bombs)", { min: 1, max: 1 << 30 }),
  maxInstructionChars: intSetting("EMUEDIT_MAX_INSTRUCTION_CHARS", DEFAULT_EDIT_LIMITS.maxInstructionChars, "longest instruction, characters", { min: 1, max: 100000 }),
  ...samplingLimitSettings(),
  maxWorkingSidePx: intSetting("EMUEDIT_MAX_WORKING_SIDE_PX", 0, "cap on the model's working side, px (0 = the model's resolution)", { min: 0, max: 16384 }),
  defaultTimeoutMs: intSetting("EMUEDIT_DEFAULT_TIMEOUT_MS", DEFAULT_EDIT_LIMITS.defaultTimeoutMs, "deadline of an edit that names none", { min: 100, max: 3600000 }),
  maxTimeoutMs: intSetting("EMUEDIT_MAX_TIMEOUT_MS", DEFAULT_EDIT_LIMITS.maxTimeoutMs, "largest deadline a client may ask for", { min: 100, max: 3600000 }),
  minTaskConfidence: floatSetting(
    "EMUEDIT_MIN_TASK_CONFIDENCE",
    0.5,
    "least probability a predicted task needs; below it an edit that names no task is refused with 422 task_unclear (0 = accept any; docs/benchmarks.md has the calibration)",
    { min: 0, max: 1 },
  ),
  maxConcurrentEdits: intSetting("EMUEDIT_MAX_CONCURRENT_EDITS", 64, "edits in flight before new ones get 503", { min: 1, max: 100000 }),
  previewEvery: intSetting("EMUEDIT_PREVIEW_EVERY", 1, "publish a latent every N denoising steps", { min: 1, max: 10000 }),
  retryAfterS: intSetting("EMUEDIT_RETRY_AFTER_S", 5, "Retry-After seconds sent with 503", { min: 1, max: 3600 }),
  readyCheckMs: intSetting("EMUEDIT_READY_CHECK_MS", 1000, "deadline of each downstream health check in /readyz", { min: 10, max: 60000 }),
  seedTasks: boolSetting("EMUEDIT_SEED_TASKS", true, "seed the emuedit_tasks KV bucket from the model package (idempotent)"),
  ...jobSettings,
  ...apiSettings,
  ...sessionSettings,
  ...processSettings("EMUEDIT_GATEWAY_METRICS_PORT"),
};
