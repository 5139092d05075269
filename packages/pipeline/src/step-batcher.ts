// Batching of concurrent edits at the UNet (DESIGN.md section 1), continuous-batching style:
// while `maxInFlight` ONNX calls are running, the 3-row guidance batches of other denoising
// loops queue up; when a call finishes, everything queued goes out as one call. A lone edit
// never waits (its call is sent at once), and under load each call carries up to `maxRows`
// rows, which a small model runs in far less than the separate calls. Each loop keeps its own
// timesteps: rows carry their own timestep, so this needs a UNet whose timestep input is per
// row ([B]); callers pass other exports through unbatched.
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
  resolve(out: Record<string, HostTensor>): void;
  reject(err: unknown): void;
}

export interface BatchingRunner extends OnnxRunner {
  /** Calls in the current window, waiting to be sent (for the queue-depth metric). */
  readonly waiting: number;
}

/** `onBatch` reports the rows of each ONNX call (batch-size metric). */
export function createStepBatcher(inner: OnnxRunner, settings: BatchSettings, onBatch?: (rows: number, edits: number) => void): BatchingRunner {
  let queue: Pending[] = [];
  let queuedRows = 0;
  let inFlight = 0;

  const settle = () => {
    inFlight--;
    if (queue.length > 0) flush();
  };

  const flush = () => {
    const batch = queue.filter((p) => !p.signal?.aborted);
    for (const p of queue) if (p.signal?.aborted) p.reject(p.signal.reason);
    queue = [];
    queuedRows = 0;
    if (batch.length === 0) return;
    onBatch?.(batch.reduce((n, p) => n + p.rows, 0), batch.length);
    inFlight++;
    if (batch.length === 1) {
      const only = batch[0]!;
      inner
        .run(only.feeds, only.signal ? { signal: only.signal } : undefined)
        .then(only.resolve, only.reject)
        .finally(settle);
      return;
    }
    inner.run(concatFeeds(batch.map((p) => p.feeds))).then(
      (out) => {
        let offset = 0;
        for (const p of batch) {
          p.resolve(sliceRows(out, offset, p.rows));
          offset += p.rows;
        }
      },
      (err: unknown) => batch.forEach((p) => p.reject(err)),
    ).finally(settle);
  };

  return {
    get waiting() {
      return queue.length;
    },
    run(feeds, opts) {
      const rows = feeds.sample?.shape[0] ?? 1;
      if (settings.maxRows <= rows) return inner.run(feeds, opts);
      return new Promise((resolve, reject) => {
        queue.push({ feeds, rows, signal: opts?.signal, resolve, reject });
        queuedRows += rows;
        // Send now when a call slot is free; otherwise the batch grows until one is.
        if (inFlight < settings.maxInFlight) flush();
        // A full batch while every slot is busy goes anyway (the session pool queues it).
        else if (queuedRows >= settings.maxRows) flush();
      });
    },
  };
}

/** Row-major tensors concatenated along axis 0 (every feed of the UNet has rows first). */
function concatFeeds(all: readonly Record<string, HostTensor>[]): Record<string, HostTensor> {
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
