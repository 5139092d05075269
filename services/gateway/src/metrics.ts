// The gateway's metrics (names in @emuedit/telemetry's MetricName): edits by outcome, per-stage
// latency, the pending work per stage that autoscaling reads, and the task cache's lookups.
import { counter, gauge, histogram, MetricName, observableCounter, STAGE_DURATION_BUCKETS_MS, stageHistogram } from "@emuedit/telemetry";

const stageDuration = stageHistogram();
const editDuration = histogram(MetricName.EditDurationMs, { description: "One edit end to end, by outcome", unit: "ms", boundaries: STAGE_DURATION_BUCKETS_MS });
const stageErrors = counter(MetricName.StageErrors, { description: "Failed calls to a model service, by stage and error code" });
const queueDepth = gauge(MetricName.QueueDepth, { description: "Calls in flight or waiting per stage, seen from the gateway" });
const edits = counter(MetricName.Edits, { description: "Edits answered, by outcome (ok or the error code) and task" });
const pending = new Map<string, number>();

export function recordStage(stage: string, durationMs: number): void {
  stageDuration.record(stage, durationMs);
}

/**
 * `task`: the resolved task's name, or "none" (never a client's string: labels stay bounded).
 * `durationMs`: from the edit's start to its reply or failure (absent for an edit refused before it started).
 */
export function recordEdit(outcome: string, task: string, durationMs?: number): void {
  edits.add(1, { outcome, task });
  if (durationMs !== undefined) editDuration.record(durationMs, { outcome });
}

/** A downstream call failed with `code` (the error the edit's client hears). */
export function recordStageError(stage: string, code: string): void {
  stageErrors.add(1, { stage, code });
}

/** The task cache counts its own lookups of named tasks; they are exported as they stand at each scrape. */
export function observeTaskCache(stats: { readonly hits: number; readonly misses: number }): void {
  observableCounter(MetricName.TaskCacheHits, { description: "Lookups of a named task served from the in-memory cache" }, () => [[stats.hits, {}]]);
  observableCounter(MetricName.TaskCacheMisses, { description: "Lookups of a named task the cache does not hold" }, () => [[stats.misses, {}]]);
}

/** Counts `fn` as pending work of `stage` while it runs. */
export async function trackPending<T>(stage: string, fn: () => Promise<T>): Promise<T> {
  const n = (pending.get(stage) ?? 0) + 1;
  pending.set(stage, n);
  queueDepth.set(n, { stage });
  try {
    return await fn();
  } finally {
    const m = (pending.get(stage) ?? 1) - 1;
    pending.set(stage, m);
    queueDepth.set(m, { stage });
  }
}
