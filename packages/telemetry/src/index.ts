export { TelemetryAlreadyStartedError, TelemetryStartError } from "./errors.js";
export { BATCH_SIZE_BUCKETS, MetricName, STAGE_DURATION_BUCKETS_MS } from "./metric-names.js";
export { batchSizeHistogram, counter, gauge, histogram, observableCounter, observableGauge, observeModelQueues, stageHistogram } from "./metrics.js";
export type { Counter, Gauge, Histogram, InstrumentOptions, MetricAttributes, StageHistogram } from "./metrics.js";
export { startTelemetry } from "./start.js";
export type { Telemetry, TelemetryOptions } from "./start.js";
export { currentTraceId, extractTraceContext, injectTraceHeaders, withContext, withSpan } from "./tracing.js";
export type { HeaderSource, SpanAttributes, SpanHandle, TraceContext } from "./tracing.js";
// For other packages' tests: capture spans without importing OpenTelemetry themselves.
export { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
export type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
