// The dashboard's panels, as data: one row per question a person asks. dashboard-json.ts makes
// the Grafana JSON of them, docs.ts their section of docs/observability.md, and the live test
// evaluates every query against a real Prometheus scraping the services.
import { RULE_WINDOW } from "./slo.js";

/** Grafana's unit ids (fieldConfig.defaults.unit). */
export type PanelUnit = "ms" | "reqps" | "ops" | "short" | "percentunit" | "bytes" | "none";

export interface PanelQuery {
  readonly expr: string;
  /** Grafana legend template ({{label}}). */
  readonly legend: string;
}

export interface Panel {
  /** File-name-safe id (plots: docs/observability/<id>.svg). */
  readonly id: string;
  readonly title: string;
  /** What it shows. */
  readonly description: string;
  readonly unit: PanelUnit;
  readonly queries: readonly PanelQuery[];
  /** What to do when it looks wrong. */
  readonly whenRed: string;
}

export interface Row {
  readonly title: string;
  readonly panels: readonly Panel[];
}

const w = RULE_WINDOW;
const RATE = "$__rate_interval";
const q = (expr: string, legend: string): PanelQuery => ({ expr, legend });

export const ROWS: readonly Row[] = [
  {
    title: "Is it up?",
    panels: [
      {
        id: "edits-by-outcome",
        title: "Edits per second by outcome",
        description: "Edits the gateway answered, by outcome: ok or the error code (unknown_task, task_unclear, unavailable, ...).",
        unit: "reqps",
        queries: [q(`sum by (outcome) (rate(emuedit_edits_total[${RATE}]))`, "{{outcome}}")],
        whenRed: "A growing non-ok line: client codes (invalid_argument, unknown_task, task_unclear) are the callers' to fix; server codes count against the error budget (EmueditErrorRatioHigh).",
      },
      {
        id: "ready-replicas",
        title: "Ready replicas per stage",
        description: "Model-service replicas reporting SERVING (model loaded and warmed up), per service. 0 is normal for a stage scaled to zero.",
        unit: "short",
        queries: [q("sum by (service) (emuedit_service_ready)", "{{service}}")],
        whenRed: "A stage at 0 while edits wait for it (next row): its pods are not starting; see EmueditColdStageWaitTooLong.",
      },
      {
        id: "errors-by-stage",
        title: "Model-service call errors by stage and code",
        description: "Failed gateway calls to a model service, by stage (text-encoder, vae, unet) and the error code the edit's client heard.",
        unit: "ops",
        queries: [q(`sum by (stage, code) (rate(emuedit_stage_errors_total[${RATE}]))`, "{{stage}} {{code}}")],
        whenRed:
          "unavailable / resource_exhausted: the stage is down or its queue is full: check ready replicas and queue depth. upstream_error: the service failed; its error log lines name the edit. deadline_exceeded: the edit's deadline passed in that stage.",
      },
      {
        id: "failed-edits-by-code",
        title: "Failed edits by code",
        description: "Edits that did not succeed, by error code, as a share of all edits.",
        unit: "percentunit",
        queries: [q(`sum by (outcome) (rate(emuedit_edits_total{outcome!="ok"}[${RATE}])) / scalar(sum(rate(emuedit_edits_total[${RATE}])))`, "{{outcome}}")],
        whenRed: "As for edits by outcome; the request's log line (one per edit) carries edit_id, task and trace_id for a closer look.",
      },
    ],
  },
  {
    title: "Is it fast?",
    panels: [
      {
        id: "edit-latency",
        title: "End-to-end edit latency",
        description: `p50, p95 and p99 of successful edits at the gateway, request parsed to reply encoded (recording rules over ${w}).`,
        unit: "ms",
        queries: [
          q(`emuedit:emuedit_edit_duration_ms:p50_${w}`, "p50"),
          q(`emuedit:emuedit_edit_duration_ms:p95_${w}`, "p95"),
          q(`emuedit:emuedit_edit_duration_ms:p99_${w}`, "p99"),
        ],
        whenRed: "p95 over the budget (EmueditEditLatencyHigh): find the stage in the next panel, then queue wait against compute below.",
      },
      {
        id: "stage-latency",
        title: "Latency per stage",
        description: `p50, p95 and p99 of each gateway stage (decode, resize, text_encode, vae_encode, denoise, vae_decode, encode) over ${w}.`,
        unit: "ms",
        queries: [
          q(`stage:emuedit_stage_duration_ms:p50_${w}`, "p50 {{stage}}"),
          q(`stage:emuedit_stage_duration_ms:p95_${w}`, "p95 {{stage}}"),
          q(`stage:emuedit_stage_duration_ms:p99_${w}`, "p99 {{stage}}"),
        ],
        whenRed: "denoise dominates by design (one UNet call per step). A model stage that grew: queue wait or compute (next row)? decode/encode that grew: large uploads or output sizes.",
      },
    ],
  },
  {
    title: "Where is the time going?",
    panels: [
      {
        id: "queue-wait-vs-compute",
        title: "Queue wait against compute per model",
        description: `p95 of the time an inference request waits for a worker (the unet's step batcher included) against p95 of one ONNX call, per model (${w}).`,
        unit: "ms",
        queries: [q(`model:emuedit_model_queue_wait_ms:p95_${w}`, "wait {{model}}"), q(`model:emuedit_model_run_ms:p95_${w}`, "run {{model}}")],
        whenRed: "Wait above run: the model is saturated (EmueditStageSaturated): add replicas or workers. Run time growing at flat load: the node is slower (throttled CPU, shared GPU).",
      },
      {
        id: "unet-batch-size",
        title: "UNet batch size (edits per call)",
        description: "How many edits share one UNet call: the share of calls with at most N edits (cumulative), and the mean.",
        unit: "short",
        queries: [
          q(`sum by (le) (rate(emuedit_batch_size_bucket[${RATE}])) / ignoring(le) group_left sum(rate(emuedit_batch_size_count[${RATE}]))`, "<= {{le}}"),
          q(`sum(rate(emuedit_batch_size_sum[${RATE}])) / sum(rate(emuedit_batch_size_count[${RATE}]))`, "mean"),
        ],
        whenRed: "Always 1 under load: edits are not batched (the UNet's timestep input is not per row, or EMUEDIT_UNET_MAX_BATCH_ROWS is 3). Often at the maximum: raise EMUEDIT_UNET_MAX_BATCH_ROWS or add replicas.",
      },
      {
        id: "latent-publish",
        title: "Latent publish latency and failures",
        description: `p50/p95/p99 of one latent publish to JetStream until acked (${w}), and failed publishes per second.`,
        unit: "ms",
        queries: [
          q(`emuedit:emuedit_latent_publish_duration_ms:p50_${w}`, "p50"),
          q(`emuedit:emuedit_latent_publish_duration_ms:p95_${w}`, "p95"),
          q(`emuedit:emuedit_latent_publish_duration_ms:p99_${w}`, "p99"),
          q(`sum(rate(emuedit_latent_publish_failures_total[${RATE}]))`, "failures/s"),
        ],
        whenRed: "Failures above 0 (EmueditLatentPublishFailing): NATS or the EMUEDIT_LATENTS stream is unhealthy; edits go on without progress or checkpoints. p95 near EMUEDIT_LATENT_PUBLISH_TIMEOUT_MS: JetStream is slow (disk, replicas).",
      },
      {
        id: "task-cache",
        title: "Task cache hits and misses",
        description: "Lookups of a named task in the gateway's in-memory cache (filled from the emuedit_tasks KV bucket and kept current by a watch).",
        unit: "ops",
        queries: [q(`sum(rate(emuedit_task_cache_hits_total[${RATE}]))`, "hits"), q(`sum(rate(emuedit_task_cache_misses_total[${RATE}]))`, "misses")],
        whenRed: "Misses are requests naming a task nobody registered (400 unknown_task): a client using a stale name, or a task that was deleted from the registry.",
      },
    ],
  },
  {
    title: "Is it scaling?",
    panels: [
      {
        id: "cold-stage-waiting",
        title: "Edits waiting for a cold stage",
        description: "Edits the gateway holds because their stage has no ready replica (scaled to zero, or starting).",
        unit: "short",
        queries: [q("sum by (stage) (emuedit_stage_waiting_edits)", "{{stage}}")],
        whenRed: "Non-zero for longer than a cold start (EmueditColdStageWaitTooLong): the stage is not coming up. See ready replicas and the pods' events.",
      },
      {
        id: "cold-start-wait",
        title: "Cold-start wait per stage",
        description: `p95 of how long an edit waited for a ready replica of a stage (${w}).`,
        unit: "ms",
        queries: [q(`histogram_quantile(0.95, sum by (le, stage) (rate(emuedit_cold_start_wait_ms_bucket[${w}])))`, "p95 {{stage}}")],
        whenRed: "Close to EMUEDIT_COLD_START_WAIT_MS: edits start failing with 503. Keep a replica warm (minReplicaCount 1) or speed the start (image pull, model load).",
      },
      {
        id: "stage-in-flight",
        title: "Calls in flight per stage",
        description: "Calls the gateway has sent to each stage and not yet had answered: the pending work KEDA scales on.",
        unit: "short",
        queries: [q("sum by (stage) (emuedit_stage_in_flight_edits)", "{{stage}}")],
        whenRed: "Growing without the stage's replicas following: KEDA's trigger or its maximum replica count.",
      },
      {
        id: "model-queue",
        title: "Model queue depth and runs in flight",
        description: "Per model: inference requests waiting for a worker (the unet's waiting batcher calls included) and calls running.",
        unit: "short",
        queries: [q("sum by (model) (emuedit_model_queue_depth)", "waiting {{model}}"), q("sum by (model) (emuedit_model_runs_in_flight)", "running {{model}}")],
        whenRed: "Waiting near *_MAX_QUEUE: requests are about to be refused with 503 (resource_exhausted). Add replicas.",
      },
    ],
  },
  {
    title: "Resources",
    panels: [
      {
        id: "process-cpu",
        title: "CPU per service",
        description: "CPU cores used by each service's processes (user + system, worker threads included), summed over replicas.",
        unit: "short",
        queries: [q(`sum by (job) (rate(process_cpu_seconds_total[${RATE}]))`, "{{job}}")],
        whenRed: "A model service at its CPU limit: latency grows with queue wait; raise the limit or the replicas. The gateway busy at low traffic: image decode/encode of very large uploads.",
      },
      {
        id: "process-memory",
        title: "Resident memory per service",
        description: "Resident memory of each service's processes (every worker thread holds its own copy of the model), summed over replicas.",
        unit: "bytes",
        queries: [q("sum by (job) (process_resident_memory_bytes)", "{{job}}")],
        whenRed: "Close to the container's memory limit: the next worker or a larger input gets the pod OOM-killed. Growing without bound at steady load: a leak; take a heap snapshot.",
      },
    ],
  },
];

export const PANELS: readonly Panel[] = ROWS.flatMap((r) => r.panels);
