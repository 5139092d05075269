// The gateway's metrics (names in @emuedit/telemetry's MetricName): edits by outcome, per-stage
// latency, the work per downstream stage that autoscaling reads (calls in flight, edits waiting
// for a ready replica, how long they waited), and the task cache's lookups.
import { counter, gauge, histogram, MetricName, observableCounter, STAGE_DURATION_BUCKETS_MS, stageHistogram } from "@emuedit/telemetry";

const stageDuration = stageHistogram();
const inFlight = gauge(MetricName.StageInFlightEdits, { description: "Calls sent to a stage and not yet answered, seen from the gateway" });
const waiting = gauge(MetricName.StageWaitingEdits, { description: "Edits waiting for a ready replica of a stage (scale from zero)" });
const coldStartWait = histogram(MetricName.ColdStartWaitMs, {
  description: "How long an edit waited for a ready replica of a stage",
  unit: "ms",
  boundaries: STAGE_DURATION_BUCKETS_MS,
});
const edits = counter(MetricName.Edits, { description: "Edits answered, by outcome (ok or the error code) and task" });
const editDuration = histogram(MetricName.EditDurationMs, { description: "One edit end to end, by outcome", unit: "ms", boundaries: STAGE_DURATION_BUCKETS_MS });
const stageErrors = counter(MetricName.StageErrors, { description: "Failed calls to a model service, by stage and error code" });

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

/** A per-stage count exported as a gauge on every change. */
function stageCount(g: ReturnType<typeof gauge>) {
  const counts = new Map<string, number>();
  return async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const n = (counts.get(stage) ?? 0) + 1;
    counts.set(stage, n);
    g.set(n, { stage });
    try {
      return await fn();
    } finally {
      const m = (counts.get(stage) ?? 1) - 1;
      counts.set(stage, m);
      g.set(m, { stage });
    }
  };
}

/** Counts `fn` (one call sent to `stage`) while it runs. */
export const trackInFlight = stageCount(inFlight);

/** Counts `fn` (an edit waiting for a ready replica of `stage`) while it runs. */
export const trackWaiting = stageCount(waiting);

export function recordColdStartWait(stage: string, waitedMs: number): void {
  coldStartWait.record(waitedMs, { stage });
}

/** Exported as 0 from the start, so an autoscaler sees the series before the first edit. */
export function zeroStageGauges(stages: readonly string[]): void {
  for (const stage of stages) {
    inFlight.set(0, { stage });
    waiting.set(0, { stage });
  }
}
