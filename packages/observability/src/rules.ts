// Prometheus recording rules (the expensive quantiles, computed once per evaluation instead of
// per dashboard refresh) and the SLO alerts, as data. rule-files.ts writes them out.
import { EDIT_SERVER_ERROR_CODES, RULE_WINDOW, Slo } from "./slo.js";

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: "warning" | "critical";
  readonly summary: string;
  readonly description: string;
  /** What a person does when it fires (docs/observability.md's runbook section). */
  readonly whenFiring: string;
  /** promtool unit-test series: one set that fires the alert and one that keeps it quiet. */
  readonly tests: { readonly fires: readonly TestSeries[]; readonly quiet: readonly TestSeries[]; readonly firingLabels: Readonly<Record<string, string>> };
}

/** A promtool input series: `values` in promtool's expanding notation, one sample a minute. */
export interface TestSeries {
  readonly series: string;
  readonly values: string;
}

const w = RULE_WINDOW;
const QUANTILES = [
  ["p50", "0.5"],
  ["p95", "0.95"],
  ["p99", "0.99"],
] as const;

/** histogram_quantile over a rate summed by `by` (le added). */
function quantile(q: string, metric: string, by: readonly string[], selector = ""): string {
  return `histogram_quantile(${q}, sum by (${["le", ...by].join(", ")}) (rate(${metric}_bucket${selector}[${w}])))`;
}

function quantileRules(level: string, metric: string, by: readonly string[], selector = ""): RecordingRule[] {
  return QUANTILES.map(([name, q]) => ({ record: `${level}:${metric}:${name}_${w}`, expr: quantile(q, metric, by, selector) }));
}

const serverErrors = EDIT_SERVER_ERROR_CODES.join("|");

export const RECORDING_RULES: readonly RecordingRule[] = [
  // End to end: successful edits only (a refused request answers in a millisecond and would pull the quantiles down).
  ...quantileRules("emuedit", "emuedit_edit_duration_ms", [], '{outcome="ok"}'),
  ...quantileRules("stage", "emuedit_stage_duration_ms", ["stage"]),
  ...quantileRules("model", "emuedit_model_queue_wait_ms", ["model"]),
  ...quantileRules("model", "emuedit_model_run_ms", ["model"]),
  { record: `model:emuedit_model_queue_wait_ms:mean_${w}`, expr: `sum by (model) (rate(emuedit_model_queue_wait_ms_sum[${w}])) / sum by (model) (rate(emuedit_model_queue_wait_ms_count[${w}]))` },
  { record: `model:emuedit_model_run_ms:mean_${w}`, expr: `sum by (model) (rate(emuedit_model_run_ms_sum[${w}])) / sum by (model) (rate(emuedit_model_run_ms_count[${w}]))` },
  ...quantileRules("emuedit", "emuedit_latent_publish_duration_ms", []),
  {
    record: `emuedit:emuedit_edits:server_error_ratio_${w}`,
    expr: `sum(rate(emuedit_edits_total{outcome=~"${serverErrors}"}[${w}])) / sum(rate(emuedit_edits_total[${w}]))`,
  },
];

export const ALERT_RULES: readonly AlertRule[] = [
  {
    alert: "EmueditEditLatencyHigh",
    expr: `emuedit:emuedit_edit_duration_ms:p95_${w} > ${Slo.editLatencyP95BudgetMs}`,
    for: Slo.editLatencyFor,
    severity: "warning",
    summary: "p95 edit latency is over its budget",
    description: `The p95 of successful edits has been above ${Slo.editLatencyP95BudgetMs} ms (Slo.editLatencyP95BudgetMs) for ${Slo.editLatencyFor}.`,
    whenFiring:
      "Open the stage latency and queue-wait panels: a stage whose queue wait grows while its run time stays flat needs replicas (or workers); a stage whose run time grew points at the model or the node (CPU throttling, a GPU node lost). Edits waiting for a cold stage add their wait here too.",
    tests: {
      // 19 slow edits a minute (60 s bucket) and one fast one: p95 far over budget.
      fires: [
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="1000"}', values: "0+1x20" },
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="60000"}', values: "0+20x20" },
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="+Inf"}', values: "0+20x20" },
      ],
      quiet: [
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="1000"}', values: "0+20x20" },
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="60000"}', values: "0+20x20" },
        { series: 'emuedit_edit_duration_ms_bucket{outcome="ok",le="+Inf"}', values: "0+20x20" },
      ],
      firingLabels: {},
    },
  },
  {
    alert: "EmueditErrorRatioHigh",
    expr: `emuedit:emuedit_edits:server_error_ratio_${w} > ${Slo.errorRatioBudget}`,
    for: Slo.errorRatioFor,
    severity: "critical",
    summary: "Too many edits fail on the server side",
    description: `More than ${Slo.errorRatioBudget * 100}% (Slo.errorRatioBudget) of edits have failed with ${EDIT_SERVER_ERROR_CODES.join(", ")} for ${Slo.errorRatioFor}.`,
    whenFiring:
      "Read the errors-by-stage panel for the stage and code. unavailable / resource_exhausted: the stage is down or its queue is full (ready replicas, queue depth). upstream_error / internal: a model service fails; its log lines (error level) name the edit, and the request's log line carries its trace_id. deadline_exceeded: see the latency alert.",
    tests: {
      fires: [
        { series: 'emuedit_edits_total{outcome="ok",task="remove"}', values: "0+80x20" },
        { series: 'emuedit_edits_total{outcome="unavailable",task="none"}', values: "0+20x20" },
      ],
      // Client errors (a bad request) do not count against the budget.
      quiet: [
        { series: 'emuedit_edits_total{outcome="ok",task="remove"}', values: "0+80x20" },
        { series: 'emuedit_edits_total{outcome="unknown_task",task="none"}', values: "0+20x20" },
      ],
      firingLabels: {},
    },
  },
  {
    alert: "EmueditStageSaturated",
    expr: `model:emuedit_model_queue_wait_ms:mean_${w} > ${Slo.saturationWaitToRunRatio} * model:emuedit_model_run_ms:mean_${w}`,
    for: Slo.saturationFor,
    severity: "warning",
    summary: "Inference requests of {{ $labels.model }} wait longer for a worker than they compute",
    description: `The mean queue wait of {{ $labels.model }} has been over ${Slo.saturationWaitToRunRatio}x (Slo.saturationWaitToRunRatio) its mean ONNX call time for ${Slo.saturationFor}.`,
    whenFiring:
      "The stage is saturated: scale its replicas (or KEDA's maximum), or give each replica more workers (EMUEDIT_<STAGE>_WORKERS) when it has idle cores. For the unet, a larger EMUEDIT_UNET_MAX_BATCH_ROWS lets more edits share a call.",
    tests: {
      // Requests wait 500 ms for calls that run 100 ms.
      fires: [
        { series: 'emuedit_model_queue_wait_ms_sum{model="unet"}', values: "0+6000x20" },
        { series: 'emuedit_model_queue_wait_ms_count{model="unet"}', values: "0+12x20" },
        { series: 'emuedit_model_run_ms_sum{model="unet"}', values: "0+1200x20" },
        { series: 'emuedit_model_run_ms_count{model="unet"}', values: "0+12x20" },
      ],
      quiet: [
        { series: 'emuedit_model_queue_wait_ms_sum{model="unet"}', values: "0+120x20" },
        { series: 'emuedit_model_queue_wait_ms_count{model="unet"}', values: "0+12x20" },
        { series: 'emuedit_model_run_ms_sum{model="unet"}', values: "0+1200x20" },
        { series: 'emuedit_model_run_ms_count{model="unet"}', values: "0+12x20" },
      ],
      firingLabels: { model: "unet" },
    },
  },
  {
    alert: "EmueditColdStageWaitTooLong",
    expr: "sum by (stage) (emuedit_stage_waiting_edits) > 0",
    for: Slo.coldStageWaitFor,
    severity: "critical",
    summary: "Edits have waited {{ $labels.stage }} for a ready replica for too long",
    description: `Edits have been waiting for a ready replica of {{ $labels.stage }} for ${Slo.coldStageWaitFor} (Slo.coldStageWaitFor), longer than a cold start takes.`,
    whenFiring:
      "The stage is not coming up: check its pods (Pending for want of a GPU node? CrashLoopBackOff? startup probe failing while the model loads?) and KEDA's ScaledObject (is the trigger active?). Edits still waiting fail at EMUEDIT_COLD_START_WAIT_MS with 503.",
    tests: {
      fires: [{ series: 'emuedit_stage_waiting_edits{stage="unet"}', values: "2x20" }],
      // A normal cold start: edits wait two minutes, then the replica is ready.
      quiet: [{ series: 'emuedit_stage_waiting_edits{stage="unet"}', values: "2 2 2 0x17" }],
      firingLabels: { stage: "unet" },
    },
  },
  {
    alert: "EmueditLatentPublishFailing",
    expr: `sum(rate(emuedit_latent_publish_failures_total[${w}])) > 0`,
    for: Slo.latentPublishFailuresFor,
    severity: "warning",
    summary: "The unet cannot publish latents to JetStream",
    description: `Latent publishes have been failing for ${Slo.latentPublishFailuresFor}: edits still finish, but without progress events and without resume checkpoints.`,
    whenFiring:
      "Check NATS: is JetStream up, is the EMUEDIT_LATENTS stream there (nats stream info EMUEDIT_LATENTS), is its storage full? The unet's warn lines (latent publish failed) carry the NATS error.",
    tests: {
      fires: [{ series: "emuedit_latent_publish_failures_total", values: "0+3x20" }],
      quiet: [{ series: "emuedit_latent_publish_failures_total", values: "0x20" }],
      firingLabels: {},
    },
  },
];

/** The runbook anchor of an alert in docs/observability.md (GitHub's heading slug). */
export function runbookAnchor(alert: string): string {
  return `alert-${alert.toLowerCase()}`;
}
