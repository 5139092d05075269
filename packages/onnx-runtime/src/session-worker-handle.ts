// The main thread's handle on one session worker: start/load, one run at a time, and telling an
// intended exit (close, failed load) from a crash.
import { Worker } from "node:worker_threads";
import type { HostTensor } from "@emuedit/tensors";
import { SessionRunError } from "./errors.js";
import { transferList } from "./feeds.js";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.js";
import { SessionRunner } from "./session-runner.js";

export interface RunJob {
  readonly id: number;
  readonly feeds: Record<string, HostTensor>;
  readonly outputNames: string[] | null;
  /** performance.now() when the pool queued it. */
  readonly queuedAt: number;
  /** Each request this call carries: how long it waited before it reached the pool, ms. */
  readonly waitedBeforeMs: readonly number[];
  /** Set once resolve/reject ran (an aborted job may still be running in a worker). */
  settled: boolean;
  readonly resolve: (outputs: Record<string, HostTensor>) => void;
  readonly reject: (err: unknown) => void;
}

const BOOTSTRAP = new URL("./worker-bootstrap.mjs", import.meta.url);
/** How long close() waits for a worker to release its session before terminating it. */
const CLOSE_GRACE_MS = 5000;

/** Worker threads of this process that have not exited yet (each holds a model's memory). */
let running = 0;

/** Session worker threads alive in this process: a pool that failed or closed leaves none behind. */
export function liveSessionWorkers(): number {
  return running;
}

export class SessionWorker extends SessionRunner {
  readonly loaded: Promise<void>;
  private readonly worker: Worker;
  private startedAt = 0;
  private intentional = false;
  private lastError: Error | null = null;
  private loadSettled = false;
  private settleLoad!: (err: Error | null) => void;
  private readonly exitedPromise: Promise<void>;

  constructor(index: number, init: WorkerInit) {
    super(index, init);
    this.loaded = new Promise((resolve, reject) => {
      this.settleLoad = (err) => {
        if (this.loadSettled) return;
        this.loadSettled = true;
        if (err === null) resolve();
        else reject(err);
      };
    });
    // A rejected `loaded` nobody awaits (a replacement that fails) must not crash the process.
    this.loaded.catch(() => {});
    this.worker = new Worker(BOOTSTRAP, { workerData: init, name: `${init.name}-${index}` });
    running++;
    this.exitedPromise = new Promise((resolve) =>
      this.worker.once("exit", () => {
        running--;
        resolve();
      }),
    );
    this.worker.on("message", (m: FromWorker) => this.handle(m));
    this.worker.on("error", (err) => (this.lastError = err));
    this.worker.on("exit", (code) => this.exited(code));
  }

  start(job: RunJob): void {
    this.job = job;
    this.startedAt = performance.now();
    const msg: ToWorker = { type: "run", id: job.id, feeds: job.feeds, outputNames: job.outputNames };
    // The pool owns job.feeds (copied or transferred in run()), so moving them is safe.
    this.worker.postMessage(msg, transferList(job.feeds));
  }

  /**
   * Releases the session and ends the thread; terminates it if that takes too long. The pool
   * calls it only once no run is in flight (see terminate()).
   */
  async close(): Promise<void> {
    if (this.dead) return;
    this.intentional = true;
    this.worker.postMessage({ type: "close" } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), CLOSE_GRACE_MS);
    await this.exitedPromise;
    clearTimeout(timer);
  }

  /**
   * Ends an idle thread now (no crash report). Never call it while a run is in flight:
   * terminating a worker inside onnxruntime's native run aborts the whole process
   * ("terminate called after throwing an instance of 'Napi::Error'").
   */
  async terminate(): Promise<void> {
    this.intentional = true;
    await this.worker.terminate();
    await this.exitedPromise;
  }

  /** Test hook: makes the thread die of an uncaught exception when its next run starts. */
  crashOnNextRun(): void {
    this.worker.postMessage({ type: "crash-on-next-run" } satisfies ToWorker);
  }

  private handle(m: FromWorker): void {
    switch (m.type) {
      case "ready":
        this.inputMetadata = m.inputMetadata;
        this.outputMetadata = m.outputMetadata;
        this.loadMs = m.loadMs;
        this.warmupMs = m.warmupMs;
        this.ready = true;
        this.settleLoad(null);
        return;
      case "load-error":
        this.intentional = true;
        this.settleLoad(new Error(m.message));
        void this.worker.terminate();
        return;
      case "result":
      case "run-error": {
        const job = this.job;
        this.job = null;
        if (job !== null && job.id === m.id) {
          if (m.type === "result") job.resolve(m.outputs);
          else job.reject(new SessionRunError(`${this.init.name}: onnxruntime rejected the run: ${m.message}`));
        }
        this.onIdle(performance.now() - this.startedAt);
        return;
      }
      case "closed":
        return;
    }
  }

  private exited(code: number): void {
    this.ready = false;
    this.dead = true;
    if (this.intentional) return;
    const cause = this.lastError ?? new Error(`worker thread exited with code ${code}`);
    if (!this.loadSettled) {
      this.settleLoad(cause);
      return;
    }
    const job = this.job;
    this.job = null;
    this.onCrash(job, cause);
  }
}
