// Runs asynchronous edit jobs: accepts them into JetStream, runs those this gateway owns (a
// bounded number at once, the rest queued), renews its lease on them, and takes over the jobs
// of gateways that stopped renewing theirs (docs/architecture.md, "Jobs").
//
// Ownership: a job record names its owner (`<instance>#<boot id>`) and a lease deadline. Every
// write is revision-checked and first checks the owner, so only one gateway runs a job: a
// gateway that finds another owner in the record has lost the job and stops its run silently.
import { randomUUID } from "node:crypto";
import type { EditSpec } from "@emuedit/edit-contract";
import { asEmueditError, EmueditError, Status } from "@emuedit/errors";
import { isTerminal, JobState, type JobRecord, type JobStore, type StoredJob } from "@emuedit/nats";
import type { Logger } from "@emuedit/service-kit";
import type { EditService } from "../edit-service.js";
import { jobResult, webhookPayload } from "./job-json.js";
import { deliverWebhook, type WebhookOptions } from "./webhook.js";

export interface JobRunnerOptions {
  /** EMUEDIT_GATEWAY_INSTANCE; "" = this process only. */
  readonly instanceName: string;
  readonly maxQueuedJobs: number;
  readonly maxRunningJobs: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  readonly retryAfterS: number;
  readonly webhook: WebhookOptions;
}

export interface JobRunner {
  /** This process's owner name, `<instance>#<boot id>`. */
  readonly owner: string;
  submit(input: Uint8Array, spec: EditSpec, callbackUrl: string | undefined): Promise<StoredJob>;
  /** Asks the job to stop; its state turns `cancelled` at the denoiser's next step. */
  cancel(id: string): Promise<StoredJob>;
  /** Takes over orphaned jobs now and then every lease/2; renews leases every lease/3. */
  start(): void;
  /** Jobs owned by this gateway, queued or running. */
  readonly held: number;
  /** Stops taking work, hands queued jobs back at once and running ones after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

type StopReason = "cancel" | "lost" | "handover";

interface LocalJob {
  readonly id: string;
  readonly controller: AbortController;
  /** Why the run was aborted. */
  stop?: StopReason;
  /** The run has begun (not only queued here). */
  started: boolean;
  /** The run (or the webhook after it) has settled. */
  readonly done: Promise<void>;
  settle(): void;
}

/** The job is someone else's now (its lease ran out and another gateway took it). */
class LostJobError extends Error {
  override name = "LostJobError";
}

export function createJobRunner(store: JobStore, edits: EditService, options: JobRunnerOptions, log: Logger): JobRunner {
  const instance = options.instanceName || `gateway-${randomUUID().slice(0, 8)}`;
  const owner = `${instance}#${randomUUID().slice(0, 8)}`;
  const local = new Map<string, LocalJob>();
  const waiting: LocalJob[] = [];
  let running = 0;
  let closing = false;
  const timers: NodeJS.Timeout[] = [];
  const stopping = new AbortController();

  const lease = () => Date.now() + options.leaseMs;
  /** A record another process may take: no live owner, or this instance's previous process. */
  const claimable = (r: JobRecord) =>
    r.owner === "" || r.leaseUntil < Date.now() || (options.instanceName !== "" && r.owner.startsWith(`${instance}#`) && r.owner !== owner);

  /** A revision-checked write that first proves this process still owns the job. */
  const write = (id: string, change: (r: JobRecord) => JobRecord) =>
    store.mutate(id, (r) => {
      if (r.owner !== owner) throw new LostJobError(`job ${id} is now owned by ${r.owner || "nobody"}`);
      return { ...change(r), leaseUntil: lease(), updatedAt: Date.now() };
    });

  function track(id: string): LocalJob {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const job: LocalJob = { id, controller: new AbortController(), started: false, done, settle };
    local.set(id, job);
    return job;
  }

  function stop(job: LocalJob, why: StopReason): void {
    job.stop ??= why;
    job.controller.abort(new EmueditError(Status.Cancelled, why === "cancel" ? "the job was cancelled" : `the job stopped here (${why})`));
  }

  function pump(): void {
    while (!closing && running < options.maxRunningJobs && waiting.length > 0) {
      const job = waiting.shift()!;
      running++;
      job.started = true;
      void run(job)
        .catch((err: unknown) =>
          err instanceof LostJobError
            ? log.warn("job lost to another gateway; its run here ends", { job: job.id, reason: err.message })
            : log.error("job run failed", { job: job.id, error: String(err) }),
        )
        .finally(() => {
          running--;
          local.delete(job.id);
          job.settle();
          pump();
        });
    }
  }

  /** 1. start 2. edit 3. record the outcome 4. webhook 5. leave the active index. */
  async function run(job: LocalJob): Promise<void> {
    const { id } = job;
    let started: StoredJob;
    try {
      started = await write(id, (r) => {
        if (r.cancelRequested) return { ...r, state: JobState.Cancelled, finishedAt: Date.now(), error: cancelledError() };
        if (r.attempts >= options.maxAttempts) {
          return { ...r, state: JobState.Failed, finishedAt: Date.now(), error: abandonedError(r.attempts, options.maxAttempts) };
        }
        return { ...r, state: JobState.Running, attempts: r.attempts + 1 };
      });
    } catch (err) {
      if (err instanceof LostJobError) return;
      throw err;
    }
    if (started.record.state === JobState.Running) {
      const spec = (started.record.request as { spec: EditSpec }).spec;
      started = (await runEdit(job, spec, started.record.attempts > 1)) ?? started;
      if (!isTerminal(started.record.state)) return; // lost, or handed back
    }
    await finish(job, started.record);
  }

  async function runEdit(job: LocalJob, spec: EditSpec, resume: boolean): Promise<StoredJob | null> {
    const { id } = job;
    const input = await store.readInput(id);
    if (input === null) {
      return write(id, (r) => ({ ...r, state: JobState.Failed, finishedAt: Date.now(), error: { code: "internal", message: "the job's input image is gone from JetStream" } }));
    }
    // Step writes are coalesced: at most one in flight, the newest step wins.
    let latestStep = 0;
    let stepWrite: Promise<void> | null = null;
    const writeStep = () => {
      stepWrite ??= (async () => {
        while (true) {
          const step = latestStep;
          const r = await write(id, (cur) => ({ ...cur, step: Math.max(cur.step, step) })).catch((err: unknown) => onWriteError(job, err));
          if (r?.record.cancelRequested) stop(job, "cancel");
          if (latestStep === step) break;
        }
        stepWrite = null;
      })();
    };
    try {
      const result = await edits.edit(input, spec, {
        record: { id },
        signal: job.controller.signal,
        resumeFromCheckpoint: resume,
        onProgress: (p) => {
          latestStep = p.step;
          writeStep();
        },
      });
      await stepWrite;
      await store.writeResult(id, result.image);
      return await write(id, (r) => ({ ...r, state: JobState.Succeeded, step: r.steps, finishedAt: Date.now(), result: jobResult(result) }));
    } catch (err) {
      await stepWrite;
      switch (job.stop) {
        case "lost":
          return null;
        case "handover":
          // Another gateway continues from the checkpoint at once (no lease to wait out).
          await store.mutate(id, (r) => (r.owner === owner ? { ...r, state: JobState.Queued, owner: "", leaseUntil: 0, updatedAt: Date.now() } : r));
          return null;
        case "cancel":
          return write(id, (r) => ({ ...r, state: JobState.Cancelled, finishedAt: Date.now(), error: cancelledError() }));
        default: {
          const e = asEmueditError(err);
          const error = { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
          return write(id, (r) => ({ ...r, state: JobState.Failed, finishedAt: Date.now(), error }));
        }
      }
    }
  }

  /** A finished job: its webhook (if any), then out of the active index. */
  async function finish(job: LocalJob, record: JobRecord): Promise<void> {
    const { id } = job;
    log.info("job finished", { job: id, state: record.state, attempts: record.attempts, code: record.error?.code });
    if (record.callback?.state === "pending") {
      const outcome = await deliverWebhook(record.callback.url, webhookPayload(record), options.webhook, stopping.signal);
      if (!outcome.delivered && stopping.signal.aborted) return; // another gateway delivers it
      if (!outcome.delivered) log.warn("job webhook not delivered", { job: id, attempts: outcome.attempts, error: outcome.lastError });
      await write(id, (r) => ({
        ...r,
        callback: {
          url: record.callback!.url,
          state: outcome.delivered ? "delivered" : "failed",
          attempts: (r.callback?.attempts ?? 0) + outcome.attempts,
          ...(outcome.lastError ? { lastError: outcome.lastError } : {}),
        },
      })).catch((err: unknown) => onWriteError(job, err));
    }
    await store.deleteInput(id);
    await store.deactivate(id);
  }

  /** finish() of a job that holds no run slot; it stays held here (its lease renewed) until done. */
  function finishLater(job: LocalJob, record: JobRecord): void {
    void finish(job, record)
      .catch((err: unknown) => log.error("job webhook failed", { job: job.id, error: String(err) }))
      .finally(() => {
        local.delete(job.id);
        job.settle();
      });
  }

  function onWriteError(job: LocalJob, err: unknown): null {
    if (err instanceof LostJobError) {
      log.warn("job lost to another gateway; stopping its run here", { job: job.id, reason: err.message });
      stop(job, "lost");
    } else {
      log.warn("job state write failed", { job: job.id, error: String(err) });
    }
    return null;
  }

  /** Leases of every job held here; a cancel asked of another gateway is seen here too. */
  async function renew(): Promise<void> {
    await Promise.all(
      [...local.values()].map(async (job) => {
        const r = await write(job.id, (cur) => cur).catch((err: unknown) => onWriteError(job, err));
        if (r?.record.cancelRequested && !isTerminal(r.record.state)) void cancelLocal(job);
      }),
    );
  }

  /** Jobs in the active index that nobody runs: take them, or clean up after finished ones. */
  async function sweep(): Promise<void> {
    if (closing) return;
    for (const id of await store.activeIds()) {
      if (local.has(id) || closing) continue;
      const job = await store.get(id).catch(() => null);
      if (job === null) {
        await store.deactivate(id);
        continue;
      }
      const r = job.record;
      if (isTerminal(r.state) && r.callback?.state !== "pending") {
        await store.deleteInput(id);
        await store.deactivate(id);
        continue;
      }
      if (!claimable(r) || local.size >= options.maxQueuedJobs) continue;
      let claimed: StoredJob;
      try {
        claimed = await store.mutate(id, (cur) => {
          if (!claimable(cur)) throw new LostJobError(`job ${id} was claimed by ${cur.owner}`);
          return { ...cur, owner, leaseUntil: lease(), updatedAt: Date.now(), ...(isTerminal(cur.state) ? {} : { state: JobState.Queued }) };
        });
      } catch (err) {
        if (err instanceof LostJobError) continue;
        throw err;
      }
      log.info("job taken over", { job: id, from: r.owner || "(handed back)", state: r.state, attempts: r.attempts });
      const mine = track(id);
      if (isTerminal(claimed.record.state)) {
        finishLater(mine, claimed.record);
      } else {
        waiting.push(mine);
        pump();
      }
    }
  }

  async function cancelLocal(job: LocalJob): Promise<void> {
    if (job.started) return stop(job, "cancel");
    // Queued here, not started: it ends now.
    const i = waiting.indexOf(job);
    if (i < 0) return;
    waiting.splice(i, 1);
    try {
      const r = await write(job.id, (cur) => ({ ...cur, state: JobState.Cancelled, finishedAt: Date.now(), error: cancelledError() }));
      finishLater(job, r.record); // the webhook goes on after the DELETE has its answer
    } catch (err) {
      local.delete(job.id);
      job.settle();
      throw err;
    }
  }

  const every = (ms: number, fn: () => Promise<void>, what: string) => {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((err: unknown) => log.warn(`${what} failed`, { error: String(err) }))
        .finally(() => (busy = false));
    }, ms);
    t.unref();
    timers.push(t);
  };

  return {
    owner,
    get held() {
      return local.size;
    },
    async submit(input, spec, callbackUrl) {
      if (closing) throw new EmueditError(Status.Unavailable, "the gateway is shutting down", { retryAfterS: options.retryAfterS });
      if (local.size >= options.maxQueuedJobs) {
        throw new EmueditError(Status.Unavailable, `${local.size} jobs queued or running here (EMUEDIT_MAX_QUEUED_JOBS)`, { retryAfterS: options.retryAfterS });
      }
      const now = Date.now();
      const record: JobRecord = {
        id: randomUUID(),
        state: JobState.Queued,
        createdAt: now,
        updatedAt: now,
        request: { spec },
        step: 0,
        steps: spec.sampling.steps,
        owner,
        leaseUntil: lease(),
        attempts: 0,
        cancelRequested: false,
        ...(callbackUrl ? { callback: { url: callbackUrl, state: "pending" as const, attempts: 0 } } : {}),
      };
      const job = track(record.id);
      try {
        const stored = await store.create(record, input);
        waiting.push(job);
        pump();
        return stored;
      } catch (err) {
        local.delete(record.id);
        throw err;
      }
    },
    async cancel(id) {
      const stored = await store.mutate(id, (r) => {
        if (isTerminal(r.state)) throw new EmueditError(Status.Conflict, `job ${id} already ${r.state}`, { code: "job_finished", details: { state: r.state } });
        return r.cancelRequested ? r : { ...r, cancelRequested: true, updatedAt: Date.now() };
      });
      const job = local.get(id);
      if (job) {
        await cancelLocal(job);
        return (await store.get(id)) ?? stored;
      }
      return stored;
    },
    start() {
      every(Math.max(100, Math.floor(options.leaseMs / 3)), renew, "job lease renewal");
      every(Math.max(100, Math.floor(options.leaseMs / 2)), sweep, "job sweep");
      void sweep().catch((err: unknown) => log.warn("job sweep failed", { error: String(err) }));
    },
    async close(graceMs) {
      closing = true;
      for (const t of timers) clearInterval(t);
      // Queued jobs go back at once; running ones may finish within the grace, then go back too.
      for (const job of waiting.splice(0)) {
        local.delete(job.id);
        await store.mutate(job.id, (r) => (r.owner === owner ? { ...r, owner: "", leaseUntil: 0, updatedAt: Date.now() } : r)).catch(() => undefined);
        job.settle();
      }
      const all = Promise.all([...local.values()].map((j) => j.done));
      const timer = setTimeout(() => {
        for (const job of local.values()) stop(job, "handover");
        stopping.abort();
      }, graceMs);
      await all;
      clearTimeout(timer);
    },
  };
}

function cancelledError() {
  return { code: "cancelled", message: "the job was cancelled (DELETE /v1/edits/{id})" };
}

function abandonedError(attempts: number, max: number) {
  return {
    code: "job_abandoned",
    message: `the gateways running this job stopped ${attempts} times (EMUEDIT_JOB_MAX_ATTEMPTS is ${max}); it will not be run again`,
  };
}
