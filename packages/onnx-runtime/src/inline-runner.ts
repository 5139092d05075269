// A pool's session on the pool's own thread (workers: 0): no worker thread, no message hop per
// call. Each call then blocks the caller's event loop for the model's run, which suits a model
// that runs in a few ms in a process that does little else (a model service), and saves the two
// thread wake-ups of every call (most of the per-call overhead on a machine whose cores are all
// busy: docs/benchmarks.md, per-edit overhead).
import type { HostTensor } from "@emuedit/tensors";
import type { InferenceSession } from "onnxruntime-node";
import { SessionRunError } from "./errors.js";
import type { WorkerInit } from "./protocol.js";
import type { RunJob } from "./session-worker-handle.js";
import { openSession, runSession } from "./session-run.js";
import { SessionRunner } from "./session-runner.js";

/** onCrash is never called: a failure inside a run is that run's error, and the session stays usable. */
export class InlineRunner extends SessionRunner {
  readonly loaded: Promise<void>;
  private session: InferenceSession | null = null;

  constructor(index: number, init: WorkerInit) {
    super(index, init);
    this.loaded = openSession(init).then((opened) => {
      this.session = opened.session;
      this.inputMetadata = opened.inputMetadata;
      this.outputMetadata = opened.outputMetadata;
      this.loadMs = opened.loadMs;
      this.warmupMs = opened.warmupMs;
      this.ready = true;
    });
    this.loaded.catch(() => (this.dead = true));
  }

  start(job: RunJob): void {
    this.job = job;
    const startedAt = performance.now();
    const finish = (settle: () => void) => {
      this.job = null;
      settle();
      this.onIdle(performance.now() - startedAt);
    };
    runSession(this.session!, job.feeds as Record<string, HostTensor>, job.outputNames).then(
      (outputs) => finish(() => job.resolve(outputs)),
      (err: unknown) => finish(() => job.reject(new SessionRunError(`${this.init.name}: onnxruntime rejected the run: ${(err as Error).message ?? String(err)}`))),
    );
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    this.ready = false;
    await this.session?.release();
  }

  terminate(): Promise<void> {
    return this.close();
  }

  /** The crash test hook is for worker threads; an inline session has no thread to lose. */
  crashOnNextRun(): void {}
}
