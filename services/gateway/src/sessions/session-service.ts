// Multi-turn editing sessions (docs/api.md, "Sessions"; docs/architecture.md, "Sessions"): a
// tree of turns kept in JetStream, each turn an asynchronous edit job whose input is its parent
// turn's image. A turn's result is copied into the session when its job ends: by the gateway
// that accepted the turn (it watches the job), or by whichever gateway next reads the session
// (a restart or a takeover loses nothing: both paths are idempotent).
import { randomUUID } from "node:crypto";
import type { EditSpec } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";
import { decodeImage, encodeImage, thresholdComposite, type ImageLimits } from "@emuedit/imaging";
import { isTerminal, JobState, TurnState, type JobRecord, type JobStore, type SessionRecord, type SessionStore, type SessionTurn, type StoredSession } from "@emuedit/nats";
import type { Logger } from "@emuedit/service-kit";
import type { JobRunner } from "../jobs/job-runner.js";

/** What a turn asked for, as the session record keeps it. */
export interface TurnRequest {
  readonly instruction: string;
  readonly task: string | null;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly imageGuidanceScale: number;
  readonly seed: number;
  /** Emu Edit's per-pixel thresholding against the parent turn: its threshold, or null (off). */
  readonly preserveThreshold: number | null;
}

/** What a finished turn's edit reported. */
export interface TurnOutcome {
  readonly task: string | null;
  readonly taskPredicted: boolean;
  readonly taskConfidence?: number;
  /** Pixels thresholding set back to the parent's value (absent when it was off). */
  readonly revertedPixels?: number;
}

export interface NewTurn {
  readonly spec: EditSpec;
  /** The turn to edit; undefined: the head. */
  readonly parent: number | undefined;
  readonly preserveThreshold: number | null;
}

export interface SessionServiceOptions {
  readonly maxTurns: number;
  readonly maxSessions: number;
  readonly imageLimits: ImageLimits;
  readonly retryAfterS: number;
}

export interface SessionService {
  create(image: Uint8Array): Promise<SessionRecord>;
  /** The session with every turn whose job has ended brought up to date. */
  get(id: string): Promise<SessionRecord>;
  /** Starts a turn (an async job); answers once the job is queued. */
  edit(id: string, turn: NewTurn): Promise<{ session: SessionRecord; turn: SessionTurn }>;
  setHead(id: string, turn: number): Promise<SessionRecord>;
  image(id: string, turn: number): Promise<{ bytes: Uint8Array; turn: SessionTurn }>;
  delete(id: string): Promise<void>;
  /** Stops watching jobs (shutdown); turns still running are finished by the next read. */
  close(): void;
}

export function createSessionService(
  store: SessionStore,
  jobs: JobStore,
  runner: JobRunner,
  options: SessionServiceOptions,
  log: Logger,
): SessionService {
  const closing = new AbortController();

  const load = async (id: string): Promise<StoredSession> => {
    const s = await store.get(id);
    if (s === null) throw new EmueditError(Status.NotFound, `no session ${JSON.stringify(id)} (unknown, deleted, or past its retention)`);
    return s;
  };

  const turnOf = (s: SessionRecord, turn: number): SessionTurn => {
    const t = Number.isInteger(turn) ? s.turns[turn] : undefined;
    if (!t) {
      throw new EmueditError(Status.NotFound, `session ${s.id} has no turn ${turn} (turns 0..${s.turns.length - 1})`, { details: { field: "turn" } });
    }
    return t;
  };

  /** A turn that can be edited from or made the head: one with an image. */
  const withImage = (s: SessionRecord, turn: number, field: string): SessionTurn => {
    const t = turnOf(s, turn);
    if (t.state !== TurnState.Succeeded) {
      throw new EmueditError(Status.Conflict, `turn ${turn} is ${t.state}: only a succeeded turn has an image to ${field === "parent" ? "edit" : "show"}`, {
        code: "turn_not_ready",
        details: { field, state: t.state },
      });
    }
    return t;
  };

  /** 1. the job's outcome 2. thresholding against the parent 3. the image 4. the record. */
  async function finish(id: string, turn: SessionTurn, job: JobRecord | null): Promise<void> {
    if (job === null) {
      await settle(id, turn.id, {
        state: TurnState.Failed,
        error: { code: "job_lost", message: "the turn's edit job is gone from JetStream (older than EMUEDIT_JOB_RETENTION_MS)" },
      });
      return;
    }
    if (!isTerminal(job.state)) return;
    if (job.state !== JobState.Succeeded || !job.result) {
      await settle(id, turn.id, {
        state: job.state === JobState.Cancelled ? TurnState.Cancelled : TurnState.Failed,
        ...(job.error ? { error: job.error } : {}),
      });
      return;
    }
    const result = await jobs.readResult(job.id);
    if (result === null) {
      await settle(id, turn.id, { state: TurnState.Failed, error: { code: "job_lost", message: "the turn's result is gone from JetStream" } });
      return;
    }
    const request = turn.request as TurnRequest;
    let bytes: Uint8Array = result;
    let revertedPixels: number | undefined;
    if (request.preserveThreshold !== null && turn.parent !== null) {
      const parentBytes = await store.getImage(id, turn.parent);
      if (parentBytes === null) throw new EmueditError(Status.Internal, `session ${id}: turn ${turn.parent}'s image is missing`);
      ({ bytes, revertedPixels } = await preserveUnedited(parentBytes, result, request.preserveThreshold, options.imageLimits));
    }
    const decoded = await decodeImage(bytes, options.imageLimits);
    await store.putImage(id, turn.id, bytes);
    const r = job.result;
    const outcome: TurnOutcome = {
      task: r.task,
      taskPredicted: r.taskPredicted,
      ...(r.taskConfidence !== undefined ? { taskConfidence: r.taskConfidence } : {}),
      ...(revertedPixels !== undefined ? { revertedPixels } : {}),
    };
    await settle(id, turn.id, {
      state: TurnState.Succeeded,
      outcome,
      image: { mimeType: "image/png", width: decoded.width, height: decoded.height, bytes: bytes.length },
    });
  }

  /** Records a turn's end once (a second writer finds it settled); a success becomes the head. */
  async function settle(id: string, turnId: number, end: Partial<SessionTurn> & { state: TurnState }): Promise<void> {
    await store.mutate(id, (s) => {
      const current = s.turns[turnId];
      if (!current || current.state !== TurnState.Running) return s;
      const now = Date.now();
      const turns = s.turns.map((t) => (t.id === turnId ? { ...t, ...end, finishedAt: now } : t));
      return { ...s, turns, updatedAt: now, head: end.state === TurnState.Succeeded ? turnId : s.head };
    });
    log.info("session turn finished", { session: id, turn: turnId, state: end.state, code: end.error?.code });
  }

  /** Brings running turns up to date from their jobs (the read path of a restart or takeover). */
  async function refresh(s: StoredSession): Promise<SessionRecord> {
    const running = s.record.turns.filter((t) => t.state === TurnState.Running && t.jobId);
    if (running.length === 0) return s.record;
    let changed = false;
    for (const t of running) {
      const job = await jobs.get(t.jobId!);
      if (job !== null && !isTerminal(job.record.state)) continue;
      await finish(s.record.id, t, job?.record ?? null);
      changed = true;
    }
    return changed ? (await load(s.record.id)).record : s.record;
  }

  /** Finishes the turn as soon as its job ends (the read path covers a watch that ends early). */
  function watchTurn(id: string, turn: SessionTurn): void {
    void (async () => {
      for await (const j of jobs.watch(turn.jobId!, closing.signal)) {
        if (!isTerminal(j.record.state)) continue;
        await finish(id, turn, j.record);
        return;
      }
    })().catch((err: unknown) => log.warn("session turn watch failed; the next read finishes it", { session: id, turn: turn.id, error: String(err) }));
  }

  return {
    async create(image) {
      if ((await store.count()) >= options.maxSessions) {
        throw new EmueditError(Status.Unavailable, `${options.maxSessions} sessions are kept (EMUEDIT_MAX_SESSIONS); try again later`, { retryAfterS: options.retryAfterS });
      }
      // Turn 0 is kept as PNG of the decoded pixels (orientation applied, alpha flattened), so
      // every turn of a session is lossless RGB and thresholding compares like with like.
      const decoded = await decodeImage(image, options.imageLimits);
      const png = (await encodeImage(decoded, "png")).bytes;
      const now = Date.now();
      const record: SessionRecord = {
        id: randomUUID(),
        createdAt: now,
        updatedAt: now,
        expiresAt: now + store.retentionMs,
        head: 0,
        turns: [
          { id: 0, parent: null, state: TurnState.Succeeded, createdAt: now, finishedAt: now, image: { mimeType: "image/png", width: decoded.width, height: decoded.height, bytes: png.length } },
        ],
      };
      return (await store.create(record, png)).record;
    },

    get: async (id) => refresh(await load(id)),

    async edit(id, next) {
      // 1. The parent: a succeeded turn of a session with room for one more.
      const s = await load(id);
      const parent = withImage(s.record, next.parent ?? s.record.head, "parent");
      if (s.record.turns.length >= options.maxTurns) throw sessionFull(id, options.maxTurns);
      const input = await store.getImage(id, parent.id);
      if (input === null) throw new EmueditError(Status.Internal, `session ${id}: turn ${parent.id}'s image is missing`);

      // 2. The job (the edit runs as any async edit: previews on its events stream).
      const job = await runner.submit(input, next.spec, undefined);
      const { sampling } = next.spec;
      const request: TurnRequest = {
        instruction: next.spec.instruction,
        task: next.spec.task ?? null,
        steps: sampling.steps,
        guidanceScale: sampling.guidanceScale,
        imageGuidanceScale: sampling.imageGuidanceScale,
        seed: sampling.seed,
        preserveThreshold: next.preserveThreshold,
      };

      // 3. The turn, numbered when it is written (concurrent turns each get their own id).
      let turn!: SessionTurn;
      try {
        const stored = await store.mutate(id, (cur) => {
          if (cur.turns.length >= options.maxTurns) throw sessionFull(id, options.maxTurns);
          const now = Date.now();
          turn = { id: cur.turns.length, parent: parent.id, state: TurnState.Running, createdAt: now, jobId: job.record.id, request };
          return { ...cur, turns: [...cur.turns, turn], updatedAt: now };
        });
        watchTurn(id, turn);
        return { session: stored.record, turn };
      } catch (err) {
        await runner.cancel(job.record.id).catch(() => undefined);
        throw err;
      }
    },

    async setHead(id, turn) {
      const s = await load(id);
      withImage(s.record, turn, "turn");
      return (await store.mutate(id, (cur) => ({ ...cur, head: turn, updatedAt: Date.now() }))).record;
    },

    async image(id, turn) {
      const t = withImage((await load(id)).record, turn, "turn");
      const bytes = await store.getImage(id, turn);
      if (bytes === null) throw new EmueditError(Status.NotFound, `session ${id}: turn ${turn}'s image is gone (past its retention)`);
      return { bytes, turn: t };
    },

    async delete(id) {
      const s = await load(id);
      await store.delete(id);
      // Turns still running have nothing to finish into any more.
      await Promise.all(s.record.turns.filter((t) => t.state === TurnState.Running && t.jobId).map((t) => runner.cancel(t.jobId!).catch(() => undefined)));
    },

    close() {
      closing.abort();
    },
  };
}

function sessionFull(id: string, max: number): EmueditError {
  return new EmueditError(Status.Conflict, `session ${id} holds ${max} turns, the most allowed (EMUEDIT_MAX_SESSION_TURNS): start a new session from a turn's image`, {
    code: "session_full",
    details: { max_turns: max },
  });
}

/**
 * Emu Edit's per-pixel thresholding between turns, on the turn's own pixel grid: where the
 * blurred mean L1 change from the parent is below `threshold` (in [0,1] units), the parent's
 * pixel is kept (@emuedit/imaging thresholdComposite has the formula). Both images are the
 * session's PNGs at the same size (an edit replies at its input's size).
 */
export async function preserveUnedited(
  parentBytes: Uint8Array,
  editedBytes: Uint8Array,
  threshold: number,
  limits: ImageLimits,
): Promise<{ bytes: Uint8Array; revertedPixels: number }> {
  const [parent, edited] = await Promise.all([decodeImage(parentBytes, limits), decodeImage(editedBytes, limits)]);
  const out = thresholdComposite(parent, edited, { alpha: threshold });
  let revertedPixels = 0;
  for (let p = 0; p < out.width * out.height; p++) {
    const i = p * 3;
    if (out.data[i] !== edited.data[i] || out.data[i + 1] !== edited.data[i + 1] || out.data[i + 2] !== edited.data[i + 2]) revertedPixels++;
  }
  return { bytes: (await encodeImage(out, "png")).bytes, revertedPixels };
}
