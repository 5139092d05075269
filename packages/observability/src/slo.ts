// The service-level objectives and alert thresholds, each a named value. The alert rules
// (rules.ts), their promtool unit tests (rules-tests.ts) and docs/observability.md are generated
// from these: change a number here and run `pnpm run observability:generate`.

export const Slo = {
  /** p95 of successful edits, end to end at the gateway, over 5 minutes. A 64x64 edit of the default model takes 1-3 s on one CPU core; 20 s leaves room for queueing at 4x load and for 512 px models on CPU. */
  editLatencyP95BudgetMs: 20_000,
  /** How long the p95 must stay over budget before the alert fires (one slow burst is not an incident). */
  editLatencyFor: "10m",
  /** Fraction of edits failing with a server-side code (EDIT_SERVER_ERROR_CODES) over 5 minutes. */
  errorRatioBudget: 0.05,
  errorRatioFor: "5m",
  /** Saturation: an inference request's mean wait for a worker over the mean ONNX call time. Above 1 a request waits longer than it computes: add replicas or workers. */
  saturationWaitToRunRatio: 1,
  saturationFor: "10m",
  /** Edits held for a stage with no ready replica (scale from zero): longer than a model service's cold start (load + warm-up, about a minute on CPU) means it is not coming up. */
  coldStageWaitFor: "3m",
  /** Latent publishes failing: previews and resume checkpoints are gone while this lasts. */
  latentPublishFailuresFor: "5m",
} as const;

/** Error codes of edits that count against the error budget: the server's fault, not the request's. */
export const EDIT_SERVER_ERROR_CODES = ["internal", "upstream_error", "unavailable", "resource_exhausted", "deadline_exceeded"] as const;

/** Where each alert's runbook_url points: the alert's section of docs/observability.md. */
export const RUNBOOK_BASE = "docs/observability.md";

/** The window of the recording rules (and so of the alerts built on them). */
export const RULE_WINDOW = "5m";
