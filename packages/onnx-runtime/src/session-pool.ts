// A pool of worker threads, each holding one onnxruntime session of the same model, behind a
// bounded FIFO queue. The main thread only validates feeds and moves buffers; inference runs in
// the workers, so the caller's event loop keeps serving requests during a long UNet step.
import { basename, dirname, resolve } from "node:path";
import type { HostTensor } from "@emuedit/tensors";
import { ExecutionProviderError, SessionClosedError, SessionLoadError, SessionQueueFullError, SessionRunError, SessionWorkerError } from "./errors.js";
import { checkFeeds, checkOutputNames, ownFeeds } from "./feeds.js";
import type { IoMetadata, PoolSessionOptions } from "./protocol.js";
import { InlineRunner } from "./inline-runner.js";
import type { SessionRunner } from "./session-runner.js";
import { SessionWorker, type RunJob } from "./session-worker-handle.js";

export interface SessionPoolOptions {
  /** Path of model.onnx (external data files are found next to it by onnxruntime). */
  readonly modelPath: string;
  /**
   * Worker threads, each with its own session (weights are loaded once per worker). 0: one
   * session on the calling thread (InlineRunner): no thread hop per call, but each run blocks
   * the caller's event loop.
   */
  readonly workers: number;
  /** onnxruntime intra-op threads per worker. workers x intraOpThreads should not exceed the cores. */
  readonly intraOpThreads: number;
  /** Used in error messages; defaults to the model's folder name (e.g. "unet"). */
  readonly name?: string;
  /** Requests allowed to wait for a free worker; one more is a SessionQueueFullError. Default 64. */
  readonly maxQueue?: number;
  readonly sessionOptions?: PoolSessionOptions;
  /** Warm-up size for symbolic dims by name (e.g. { height: 64 }); others get 1. */
  readonly warmupDims?: Readonly<Record<string, number>>;
  /** Told each request's wait for a worker and each call's run, ms (queue-wait and run-time metrics). */
  readonly observer?: RunObserver;
}

export interface RunObserver {
  /** One request waited `ms` from its arrival (a batcher's wait included) to its call's start in a worker. */
  waited(ms: number): void;
  /** One ONNX call ran `ms` in a worker. */
  ran(ms: number): void;
}

export interface RunOptions {
  /** Outputs to compute; default all. */
  readonly outputNames?: readonly string[];
  /** Aborting rejects with signal.reason; a run already in a worker finishes there, unobserved. */
  readonly signal?: AbortSignal;
  /**
   * true: move the feeds' ArrayBuffers to the pool without copying; they are detached for the
   * caller as soon as run() is called (every view of those buffers). Default false: copy.
   */
  readonly transfer?: boolean;
  /**
   * A batcher's call carries several requests that waited before they reached the pool: how long
   * each did, ms. The pool adds its own queue wait and reports one wait per request. Default [0].
   */
  readonly waitedBeforeMs?: readonly number[];
}

export const DEFAULT_MAX_QUEUE = 64;

/**
 * Test hook (not part of the public surface): worker `index` dies of an uncaught exception when
 * its next run starts, the JS-level crash a pool can survive. A native crash inside onnxruntime
 * takes the whole process down; no worker pool can catch that.
 */
export const crashWorkerForTest = Symbol("crashWorkerForTest");

export class SessionPool {
  readonly name: string;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly IoMetadata[];
  readonly outputMetadata: readonly IoMetadata[];
  private readonly queue: RunJob[] = [];
  private readonly maxQueue: number;
  private readonly observer: RunObserver | undefined;
  private nextId = 1;
  private closing: Promise<void> | null = null;
  /** close() waiting for the queue and the workers to drain. */
  private waiters: Array<() => void> = [];

  /** Use createSessionPool(). */
  constructor(
    options: SessionPoolOptions,
    private readonly workers: SessionRunner[],
  ) {
    const first = workers[0]!;
    this.name = first.init.name;
    this.inputMetadata = first.inputMetadata;
    this.outputMetadata = first.outputMetadata;
    this.inputNames = this.inputMetadata.map((m) => m.name);
    this.outputNames = this.outputMetadata.map((m) => m.name);
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.observer = options.observer;
    for (const w of workers) this.watch(w);
  }

  /** Requests waiting for a worker (not counting those running). */
  queueDepth(): number {
    return this.queue.length;
  }

  /** Requests running in a worker now. */
  activeRuns(): number {
    return this.workers.filter((w) => w.job !== null).length;
  }

  run(feeds: Record<string, HostTensor>, opts: RunOptions = {}): Promise<Record<string, HostTensor>> {
    if (this.closing !== null) return Promise.reject(new SessionClosedError(`${this.name}: session pool is closed`));
    const problem = checkFeeds(feeds, this.inputMetadata) ?? checkOutputNames(opts.outputNames ?? [], this.outputMetadata);
    if (problem !== null) return Promise.reject(new SessionRunError(`${this.name}: ${problem}`));
    if (opts.signal?.aborted) return Promise.reject(opts.signal.reason);
    if (this.idleWorker() === undefined && this.queue.length >= this.maxQueue) {
      return Promise.reject(new SessionQueueFullError(`${this.name}: ${this.queue.length} requests already queued (maxQueue ${this.maxQueue})`));
    }
    return new Promise((resolvePromise, rejectPromise) => {
      const job: RunJob = {
        id: this.nextId++,
        feeds: ownFeeds(feeds, opts.transfer === true),
        outputNames: opts.outputNames ? [...opts.outputNames] : null,
        queuedAt: performance.now(),
        waitedBeforeMs: opts.waitedBeforeMs ?? [0],
        settled: false,
        resolve: (out) => settle(() => resolvePromise(out)),
        reject: (err) => settle(() => rejectPromise(err)),
      };
      const signal = opts.signal;
      const onAbort = () => {
        const at = this.queue.indexOf(job);
        if (at >= 0) this.queue.splice(at, 1);
        job.reject(signal!.reason);
      };
      const settle = (done: () => void) => {
        if (job.settled) return;
        job.settled = true;
        signal?.removeEventListener("abort", onAbort);
        done();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /**
   * Stops accepting runs, lets queued and running ones finish, then releases every session and
   * ends the workers. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.queue.length > 0 || this.activeRuns() > 0) await this.settledOnce();
      await Promise.all(this.workers.map((w) => w.close()));
    })();
    return this.closing;
  }

  [crashWorkerForTest](index: number): void {
    this.workers[index]?.crashOnNextRun();
  }

  private idleWorker(): SessionRunner | undefined {
    return this.workers.find((w) => w.ready && w.job === null);
  }

  private dispatch(): void {
    for (let w = this.idleWorker(); w !== undefined && this.queue.length > 0; w = this.idleWorker()) {
      const job = this.queue.shift()!;
      if (job.settled) continue;
      const waitedMs = performance.now() - job.queuedAt;
      for (const before of job.waitedBeforeMs) this.observer?.waited(before + waitedMs);
      w.start(job);
    }
    this.notify();
  }

  /** Resolves at the next job completion/dispatch change (used by close()). */
  private settledOnce(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }

  private notify(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }

  private watch(w: SessionRunner): void {
    w.onIdle = (ranMs) => {
      this.observer?.ran(ranMs);
      this.dispatch();
    };
    w.onCrash = (job, cause) => {
      job?.reject(new SessionWorkerError(`${this.name}: worker ${w.index} died during a run (${cause.message})`, { cause }));
      if (this.closing !== null) {
        this.failAllIfNoWorkers(cause);
        return this.notify();
      }
      // Replace it; queued jobs wait for the replacement or go to the other workers.
      const replacement = new SessionWorker(w.index, w.init);
      this.workers[this.workers.indexOf(w)] = replacement;
      this.watch(replacement);
      replacement.loaded.then(
        () => this.dispatch(),
        (err: Error) => this.failAllIfNoWorkers(err),
      );
    };
  }

  private failAllIfNoWorkers(cause: Error): void {
    if (this.workers.some((w) => !w.dead)) return;
    for (const job of this.queue.splice(0)) {
      job.reject(new SessionWorkerError(`${this.name}: no worker could be restarted (${cause.message})`, { cause }));
    }
    this.notify();
  }
}

/** Starts the workers; resolves once every one has loaded the model and run a warm-up. */
export async function createSessionPool(options: SessionPoolOptions): Promise<SessionPool> {
  if (!Number.isInteger(options.workers) || options.workers < 0) throw new RangeError(`workers must be an integer >= 0, got ${options.workers}`);
  if (!Number.isInteger(options.intraOpThreads) || options.intraOpThreads < 1) {
    throw new RangeError(`intraOpThreads must be an integer >= 1, got ${options.intraOpThreads}`);
  }
  const modelPath = resolve(options.modelPath);
  const init = {
    modelPath,
    name: options.name ?? basename(dirname(modelPath)),
    intraOpThreads: options.intraOpThreads,
    sessionOptions: options.sessionOptions ?? {},
    warmupDims: options.warmupDims ?? {},
  };
  const workers: SessionRunner[] = options.workers === 0 ? [new InlineRunner(0, init)] : Array.from({ length: options.workers }, (_, i) => new SessionWorker(i, init));
  const results = await Promise.allSettled(workers.map((w) => w.loaded));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(workers.map((w) => w.terminate()));
    const cause = failed.reason as Error;
    throw loadError(init.name, modelPath, init.sessionOptions.executionProviders ?? [], cause);
  }
  return new SessionPool(options, workers);
}

/** onnxruntime-node names the provider it could not add: "OrtSessionOptionsAppendExecutionProvider_Cuda: ...". */
const PROVIDER_FAILURE = /AppendExecutionProvider_?(\w+)/i;

function loadError(name: string, modelPath: string, providers: readonly string[], cause: Error): SessionLoadError {
  const provider = PROVIDER_FAILURE.exec(cause.message)?.[1]?.toLowerCase() ?? providers.find((p) => p !== "cpu" && cause.message.toLowerCase().includes(p));
  if (provider !== undefined) {
    return new ExecutionProviderError(
      `${name}: the ${provider} execution provider is not available to onnxruntime-node here (${cause.message}); ` +
        `install its libraries (onnxruntime-node's GPU build, see docs/deploy.md) or use the cpu provider`,
      { cause },
    );
  }
  return new SessionLoadError(`${name}: cannot load ${modelPath} (${cause.message})`, { cause });
}
