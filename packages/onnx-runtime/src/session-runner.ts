// What a session pool drives, one run at a time: a session in a worker thread (SessionWorker) or
// on the pool's own thread (InlineRunner). The state the pool reads lives here once.
import type { IoMetadata, WorkerInit } from "./protocol.js";
import type { RunJob } from "./session-worker-handle.js";

export abstract class SessionRunner {
  /** Settles once the session is open (rejects when it cannot be). */
  abstract readonly loaded: Promise<void>;
  ready = false;
  /** The runner is gone (closed, exited, or never loaded). */
  dead = false;
  job: RunJob | null = null;
  inputMetadata: IoMetadata[] = [];
  outputMetadata: IoMetadata[] = [];
  loadMs = 0;
  warmupMs = 0;
  /** Called after a run finished (it ran `ranMs`) and this runner is free. */
  onIdle: (ranMs: number) => void = () => {};
  /** Called when the runner died on its own after loading; `job` was running on it, if any. */
  onCrash: (job: RunJob | null, cause: Error) => void = () => {};

  constructor(
    readonly index: number,
    readonly init: WorkerInit,
  ) {}

  abstract start(job: RunJob): void;
  abstract close(): Promise<void>;
  abstract terminate(): Promise<void>;
  /** Test hook: the next run dies as a crashed worker would. */
  abstract crashOnNextRun(): void;
}
