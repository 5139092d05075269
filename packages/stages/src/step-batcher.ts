// Batching of concurrent edits at the UNet (docs/architecture.md, "Batching"), continuous-
// batching style: while `maxInFlight` ONNX calls are running, the 3-row guidance batches of
// other denoising loops queue up; when a call finishes, everything queued goes out, one call per
// shape. A lone edit never waits (its call is sent at once), and under load each call carries up
// to `maxRows` rows, which a small model runs in far less time than the separate calls.
//
// Only calls whose feeds agree in every non-batch dimension can share a call: two edits of
// different image sizes (a UNet with dynamic spatial dims) have latents [3,8,h1,w1] and
// [3,8,h2,w2], which no single tensor holds. Each loop keeps its own timesteps, so this needs a
// UNet whose timestep input is per row ([B]); callers pass other exports through unbatched.
import type { HostTensor, TensorData } from "@emuedit/tensors";
import type { OnnxRunner } from "./unet-runner.js";

export interface BatchSettings {
  /** Most rows in one ONNX call (3 per edit). 3 disables batching. */
  readonly maxRows: number;
  /** ONNX calls running at once (the session pool's worker count); more requests queue and batch. */
  readonly maxInFlight: number;
}

interface Pending {
  readonly feeds: Record<string, HostTensor>;
  readonly rows: number;
  readonly signal: AbortSignal | undefined;
  /** performance.now() at arrival: its wait for a call slot goes into the queue-wait metric. */
  readonly arrivedAt: number;
  readonly onBatch: ((edits: number) => void) | undefined;
  resolve(out: Record<string, HostTensor>): void;
  reject(err: unknown): void;
}

export interface BatchingRunner extends OnnxRunner {
  /** Calls waiting to be sent (the model service's queue-depth metric adds them). */
  readonly waiting: number;
}

/** `onBatch` reports the rows and the edits (calls) of each ONNX call (batch-size metric). */
export function createStepBatcher(inner: OnnxRunner, settings: BatchSettings, onBatch?: (rows: number, edits: number) => void): BatchingRunner {
  /** Waiting calls by shape key, each group in arrival order; Map order = first arrival. */
  let groups = new Map<string, Pending[]>();
  let waiting = 0;
  let inFlight = 0;

  const send = (batch: Pending[]) => {
    const live = batch.filter((p) => !p.signal?.aborted);
    for (const p of batch) if (p.signal?.aborted) p.reject(p.signal.reason);
    if (live.length === 0) return;
    onBatch?.(live.reduce((n, p) => n + p.rows, 0), live.length);
    for (const p of live) p.onBatch?.(live.length);
    const sentAt = performance.now();
    const waitedBeforeMs = live.map((p) => sentAt - p.arrivedAt);
    inFlight++;
    const settle = () => {
      inFlight--;
      if (waiting > 0) flush();
    };
    if (live.length === 1) {
      const only = live[0]!;
      inner
        .run(only.feeds, { waitedBeforeMs, ...(only.signal ? { signal: only.signal } : {}) })
        .then(only.resolve, only.reject)
        .finally(settle);
      return;
    }
    inner
      .run(concatRows(live.map((p) => p.feeds)), { waitedBeforeMs })
      .then(
        (out) => {
          let offset = 0;
          for (const p of live) {
            p.resolve(sliceRows(out, offset, p.rows));
            offset += p.rows;
          }
        },
        (err: unknown) => live.forEach((p) => p.reject(err)),
      )
      .finally(settle);
  };

  /** Sends every waiting call: one ONNX call per shape group, each at most maxRows rows. */
  const flush = () => {
    const all = groups;
    groups = new Map();
    waiting = 0;
    for (const group of all.values()) {
      let batch: Pending[] = [];
      let rows = 0;
      for (const p of group) {
        if (batch.length > 0 && rows + p.rows > settings.maxRows) {
          send(batch);
          batch = [];
          rows = 0;
        }
        batch.push(p);
        rows += p.rows;
      }
      send(batch);
    }
  };

  return {
    get waiting() {
      return waiting;
    },
    run(feeds, opts) {
      const rows = feeds.sample?.shape[0] ?? 1;
      if (settings.maxRows <= rows) return inner.run(feeds, opts);
      const key = shapeKey(feeds);
      return new Promise((resolve, reject) => {
        const group = groups.get(key) ?? [];
        group.push({ feeds, rows, signal: opts?.signal, arrivedAt: performance.now(), onBatch: opts?.onBatch, resolve, reject });
        groups.set(key, group);
        waiting++;
        const groupRows = group.reduce((n, p) => n + p.rows, 0);
        // Send now when a call slot is free; otherwise the batch grows until one is. A full
        // batch while every slot is busy goes anyway (the session pool queues it).
        if (inFlight < settings.maxInFlight) flush();
        else if (groupRows >= settings.maxRows) {
          groups.delete(key);
          waiting -= group.length;
          send(group);
        }
      });
    },
  };
}

/** Calls with equal keys can be stacked along axis 0: same feed names, dtypes and non-batch dims. */
function shapeKey(feeds: Record<string, HostTensor>): string {
  return Object.keys(feeds)
    .sort()
    .map((name) => `${name}:${feeds[name]!.dtype}[${feeds[name]!.shape.slice(1).join(",")}]`)
    .join(" ");
}

/** Row-major tensors of one shape key concatenated along axis 0 (every feed of the UNet has rows first). */
function concatRows(all: readonly Record<string, HostTensor>[]): Record<string, HostTensor> {
  const first = all[0]!;
  const out: Record<string, HostTensor> = {};
  for (const name of Object.keys(first)) {
    const parts = all.map((f) => f[name]!);
    const t0 = parts[0]!;
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    const data = new (t0.data.constructor as new (n: number) => TensorData)(total);
    let at = 0;
    for (const t of parts) {
      (data as Float32Array).set(t.data as Float32Array, at);
      at += t.data.length;
    }
    const rows = parts.reduce((n, t) => n + (t.shape[0] ?? 1), 0);
    out[name] = { dtype: t0.dtype, shape: [rows, ...t0.shape.slice(1)], data };
  }
  return out;
}

function sliceRows(out: Record<string, HostTensor>, offset: number, rows: number): Record<string, HostTensor> {
  const res: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(out)) {
    const total = t.shape[0]!;
    const per = t.data.length / total;
    res[name] = { dtype: t.dtype, shape: [rows, ...t.shape.slice(1)], data: t.data.slice(offset * per, (offset + rows) * per) as TensorData };
  }
  return res;
}
