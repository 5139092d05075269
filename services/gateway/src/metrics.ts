// The gateway's metrics (names in @emuedit/telemetry's MetricName): per-stage latency, and the
// pending work per stage that autoscaling reads (DESIGN.md section 7).
import { counter, gauge, MetricName, stageHistogram } from "@emuedit/telemetry";

const stageDuration = stageHistogram();
const queueDepth = gauge(MetricName.QueueDepth, { description: "Calls in flight or waiting per stage, seen from the gateway" });
const taskLookups = counter(MetricName.TaskCacheHits, { description: "Task lookups served from the in-memory cache" });
const pending = new Map<string, number>();

export function recordStage(stage: string, durationMs: number): void {
  stageDuration.record(stage, durationMs);
}

export function recordTaskLookup(predicted: boolean): void {
  taskLookups.add(1, { predicted: String(predicted) });
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
