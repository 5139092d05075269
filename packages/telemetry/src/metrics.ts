// Metric instruments that work before, during and after startTelemetry: each resolves its
// OpenTelemetry instrument lazily and again after a (re)start, because instruments taken from
// the global API before a MeterProvider is registered stay no-ops forever.
import { metrics, type Attributes } from "@opentelemetry/api";
import { BATCH_SIZE_BUCKETS, MetricName, STAGE_DURATION_BUCKETS_MS } from "./metric-names.js";

const METER_NAME = "emuedit";
let generation = 0;

/** Called by startTelemetry / shutdown: instruments re-resolve against the new provider. */
export function bumpMeterGeneration(): void {
  generation++;
}

export type MetricAttributes = Record<string, string | number | boolean>;

function lazy<T>(create: () => T): () => T {
  let seen = -1;
  let instrument: T;
  return () => {
    if (seen !== generation) {
      instrument = create();
      seen = generation;
    }
    return instrument;
  };
}

const meter = () => metrics.getMeter(METER_NAME);

export interface InstrumentOptions {
  description?: string;
  /** UCUM unit, e.g. "ms", "By", "1". */
  unit?: string;
}

export interface Counter {
  add(value?: number, attributes?: MetricAttributes): void;
}

export interface Gauge {
  set(value: number, attributes?: MetricAttributes): void;
}

export interface Histogram {
  record(value: number, attributes?: MetricAttributes): void;
}

/** Monotonic counter; Prometheus shows it as `<name>_total`. */
export function counter(name: string, options: InstrumentOptions = {}): Counter {
  const get = lazy(() => meter().createCounter(name, options));
  return { add: (value = 1, attributes) => get().add(value, attributes as Attributes) };
}

/** Last-value gauge (e.g. queue depth per stage). */
export function gauge(name: string, options: InstrumentOptions = {}): Gauge {
  const get = lazy(() => meter().createGauge(name, options));
  return { set: (value, attributes) => get().record(value, attributes as Attributes) };
}

/** Histogram with explicit bucket boundaries. */
export function histogram(name: string, options: InstrumentOptions & { boundaries?: number[] } = {}): Histogram {
  const { boundaries, ...rest } = options;
  const get = lazy(() =>
    meter().createHistogram(name, { ...rest, advice: boundaries ? { explicitBucketBoundaries: boundaries } : {} }),
  );
  return { record: (value, attributes) => get().record(value, attributes as Attributes) };
}

export interface StageHistogram {
  record(stage: string, durationMs: number, attributes?: MetricAttributes): void;
  /** Runs fn and records its wall time under `stage`, whether it resolves or throws. */
  time<T>(stage: string, fn: () => Promise<T>, attributes?: MetricAttributes): Promise<T>;
}

/** Millisecond latency histogram with a `stage` attribute (default name emuedit_stage_duration_ms). */
export function stageHistogram(name: string = MetricName.StageDurationMs, options: InstrumentOptions = {}): StageHistogram {
  const h = histogram(name, {
    description: options.description ?? "Wall time of one pipeline stage",
    unit: options.unit ?? "ms",
    boundaries: STAGE_DURATION_BUCKETS_MS,
  });
  const record = (stage: string, durationMs: number, attributes: MetricAttributes = {}) =>
    h.record(durationMs, { ...attributes, stage });
  return {
    record,
    async time(stage, fn, attributes) {
      const started = performance.now();
      try {
        return await fn();
      } finally {
        record(stage, performance.now() - started, attributes);
      }
    },
  };
}

/** Edits per UNet batch (emuedit_batch_size). */
export function batchSizeHistogram(): Histogram {
  return histogram(MetricName.BatchSize, { description: "Edits per UNet batch", unit: "1", boundaries: BATCH_SIZE_BUCKETS });
}
