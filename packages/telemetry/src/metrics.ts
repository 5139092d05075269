// Metric instruments that work before, during and after startTelemetry: each resolves its
// OpenTelemetry instrument lazily and again after a (re)start, because instruments taken from
// the global API before a MeterProvider is registered stay no-ops forever.
import { metrics, type Attributes } from "@opentelemetry/api";
import { BATCH_SIZE_BUCKETS, MetricName, MODEL_CALL_BUCKETS_MS, STAGE_DURATION_BUCKETS_MS } from "./metric-names.js";

const METER_NAME = "emuedit";
let generation = 0;
/** Observable instruments re-register their callbacks against each new provider. */
const observers: Array<() => void> = [];

/** Called by startTelemetry / shutdown: instruments re-resolve against the new provider. */
export function bumpMeterGeneration(): void {
  generation++;
  for (const register of observers) register();
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

/** Values read at collection time (each scrape): `read` yields [value, attributes] pairs. */
function observable(kind: "gauge" | "counter", name: string, options: InstrumentOptions, read: () => Iterable<readonly [number, MetricAttributes]>): void {
  const register = () => {
    const m = meter();
    const instrument = kind === "gauge" ? m.createObservableGauge(name, options) : m.createObservableCounter(name, options);
    instrument.addCallback((result) => {
      for (const [value, attributes] of read()) result.observe(value, attributes as Attributes);
    });
  };
  observers.push(register);
  register();
}

/** A gauge read at collection time (e.g. a process's resident memory). */
export function observableGauge(name: string, options: InstrumentOptions, read: () => Iterable<readonly [number, MetricAttributes]>): void {
  observable("gauge", name, options, read);
}

/** A monotonic count kept elsewhere (e.g. a cache's own hit counter), read at collection time. */
export function observableCounter(name: string, options: InstrumentOptions, read: () => Iterable<readonly [number, MetricAttributes]>): void {
  observable("counter", name, options, read);
}

/** A model service's inference queues, by model name: calls waiting for a worker and calls running. */
export function observeModelQueues(models: Record<string, () => { waiting: number; running: number }>): void {
  const entries = Object.entries(models);
  observableGauge(MetricName.ModelQueueDepth, { description: "Inference calls waiting for a worker, per model" }, () =>
    entries.map(([model, read]) => [read().waiting, { model }] as const),
  );
  observableGauge(MetricName.ModelRunsInFlight, { description: "Inference calls running in a worker, per model" }, () =>
    entries.map(([model, read]) => [read().running, { model }] as const),
  );
}

/** What a session pool reports of each inference: the wait for a worker and the run in it, ms. */
export interface ModelCallObserver {
  waited(ms: number): void;
  ran(ms: number): void;
}

const modelQueueWait = histogram(MetricName.ModelQueueWaitMs, {
  description: "Time an inference request waited for a worker, per model",
  unit: "ms",
  boundaries: MODEL_CALL_BUCKETS_MS,
});
const modelRun = histogram(MetricName.ModelRunMs, { description: "Time one ONNX call ran in its worker, per model", unit: "ms", boundaries: MODEL_CALL_BUCKETS_MS });

/** emuedit_model_queue_wait_ms / emuedit_model_run_ms of one model (a session pool's observer). */
export function modelCallObserver(model: string): ModelCallObserver {
  const attributes = { model };
  return { waited: (ms) => modelQueueWait.record(ms, attributes), ran: (ms) => modelRun.record(ms, attributes) };
}

export interface StageHistogram {
  record(stage: string, durationMs: number, attributes?: MetricAttributes): void;
}

/** Millisecond latency histogram with a `stage` attribute (default name emuedit_stage_duration_ms). */
export function stageHistogram(name: string = MetricName.StageDurationMs, options: InstrumentOptions = {}): StageHistogram {
  const h = histogram(name, {
    description: options.description ?? "Wall time of one pipeline stage",
    unit: options.unit ?? "ms",
    boundaries: STAGE_DURATION_BUCKETS_MS,
  });
  return { record: (stage, durationMs, attributes = {}) => h.record(durationMs, { ...attributes, stage }) };
}

/** Edits per UNet batch (emuedit_batch_size). */
export function batchSizeHistogram(): Histogram {
  return histogram(MetricName.BatchSize, { description: "Edits per UNet batch", unit: "1", boundaries: BATCH_SIZE_BUCKETS });
}
