// The unet service's latent publish metrics: how long a step's latent takes to reach JetStream
// (acked), and how often publishing fails (previews and checkpoints are best effort, so a failure
// never fails the edit: only this counter and a warn line say it happened).
import { counter, histogram, LATENT_PUBLISH_BUCKETS_MS, MetricName } from "@emuedit/telemetry";

const publishDuration = histogram(MetricName.LatentPublishDurationMs, {
  description: "One latent publish to JetStream, until acked",
  unit: "ms",
  boundaries: LATENT_PUBLISH_BUCKETS_MS,
});
const publishFailures = counter(MetricName.LatentPublishFailures, { description: "Latent publishes that failed" });

/** A series from start-up on (0 until a failure), so a rate over it is 0, not "no data". */
export function initLatentPublishMetrics(): void {
  publishFailures.add(0);
}

export function recordLatentPublish(durationMs: number, ok: boolean): void {
  publishDuration.record(durationMs);
  if (!ok) publishFailures.add(1);
}
