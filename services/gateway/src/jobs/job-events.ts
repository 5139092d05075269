// GET /v1/edits/{id}/events: a job's progress as Server-Sent Events, answerable by any gateway.
//
// Event ids make the stream resumable: `queued` is 0, `step` k is k (1..n), the terminal event
// (`done`, `error` or `cancelled`) is n+1. A client reconnecting with Last-Event-ID gets only
// events with a larger id: first a replay from JetStream (the job record in KV, the newest
// latent of the edit's latent stream), then live events (the latents the unet publishes, and
// the job record's changes).
import type { ServerResponse } from "node:http";
import { EmueditError, Status } from "@emuedit/errors";
import { isTerminal, JobNotFoundError, JobState, readCheckpoint, validateEditId, watchLatents, type JobRecord, type JobStore, type LatentCheckpoint } from "@emuedit/nats";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "@emuedit/service-kit";
import { jobJson, resultUrl } from "./job-json.js";
import { latentPreview, type LatentRgbFactors } from "./latent-preview.js";

export interface JobEventsOptions {
  readonly previewIntervalMs: number;
  readonly heartbeatMs: number;
  readonly maxConnections: number;
  readonly retryAfterS: number;
}

export interface JobEvents {
  serve(id: string, lastEventId: string | undefined, res: ServerResponse): Promise<void>;
  /** Open streams. */
  readonly open: number;
  /** Ends every stream (shutdown): clients reconnect, with Last-Event-ID, to another gateway. */
  close(): void;
}

/** Longest wait for the latent subscription to be registered before the replay starts anyway. */
const SUBSCRIBE_WAIT_MS = 1000;

export function createJobEvents(store: JobStore, nc: NatsConnection, factors: LatentRgbFactors, options: JobEventsOptions, log: Logger): JobEvents {
  const streams = new Set<AbortController>();
  const js = jetstream(nc);

  async function serve(id: string, lastEventId: string | undefined, res: ServerResponse): Promise<void> {
    validateEditId(id);
    if (streams.size >= options.maxConnections) {
      throw new EmueditError(Status.Unavailable, `${streams.size} event streams open (EMUEDIT_MAX_SSE_CONNECTIONS)`, { retryAfterS: options.retryAfterS });
    }
    const stored = await store.get(id);
    if (stored === null) throw new JobNotFoundError(id);
    const n = stored.record.steps;
    const after = parseLastEventId(lastEventId, n);

    // 0. The stream: open until the terminal event, the client leaving, or shutdown.
    const stop = new AbortController();
    streams.add(stop);
    res.on("close", () => stop.abort());
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" });
    res.flushHeaders();
    let sent = after;
    let lastPreviewAt = -Infinity;
    const send = (eventId: number, event: string, data: unknown) => {
      if (eventId <= sent || stop.signal.aborted) return;
      sent = eventId;
      res.write(`id: ${eventId}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      if (eventId === n + 1) stop.abort();
    };
    const sendStep = async (cp: LatentCheckpoint) => {
      if (cp.step <= sent || cp.step > n) return;
      const now = performance.now();
      let preview: string | undefined;
      if (now - lastPreviewAt >= options.previewIntervalMs) {
        lastPreviewAt = now;
        preview = await latentPreview(cp.latent, factors).catch(() => undefined);
      }
      send(cp.step, "step", { step: cp.step, steps: cp.totalSteps, ...(preview ? { preview } : {}) });
    };
    const onRecord = (r: JobRecord) => {
      if (!isTerminal(r.state)) return;
      send(n + 1, terminalEvent(r.state), { ...jobJson(r), ...(r.state === JobState.Succeeded ? { result_url: resultUrl(r.id) } : {}) });
      stop.abort(); // also when the client already had the outcome (Last-Event-ID n+1)
    };
    const heartbeat = setInterval(() => {
      if (!stop.signal.aborted) res.write(": keep-alive\n\n");
    }, options.heartbeatMs);

    try {
      // 1. Subscribe to the live latents first, so nothing published during the replay is missed.
      const latents = watchLatents(nc, id, { signal: stop.signal });
      await Promise.race([latents.ready.catch(() => undefined), new Promise((r) => setTimeout(r, SUBSCRIBE_WAIT_MS))]);

      // 2. Replay: queued, the newest checkpoint (if the stream still holds one), the outcome.
      send(0, "queued", { id, state: JobState.Queued, steps: n });
      const cp = await readCheckpoint(js, id).catch(() => null);
      if (cp) await sendStep(cp);
      const current = await store.get(id);
      if (current) onRecord(current.record);

      // 3. Live: steps as the unet publishes them; the record's changes for the outcome.
      const steps = (async () => {
        for await (const c of latents) await sendStep(c);
      })();
      const records = (async () => {
        for await (const s of store.watch(id, stop.signal)) onRecord(s.record);
        // The watch ended without an outcome (NATS restarted): the client resumes from its last id.
        stop.abort();
      })();
      await Promise.race([Promise.all([steps, records]), new Promise((r) => stop.signal.addEventListener("abort", r, { once: true }))]);
      steps.catch(() => undefined);
      records.catch(() => undefined);
    } catch (err) {
      log.warn("event stream failed", { job: id, error: String(err) });
    } finally {
      stop.abort();
      clearInterval(heartbeat);
      streams.delete(stop);
      res.end();
    }
  }

  return {
    serve,
    get open() {
      return streams.size;
    },
    close() {
      for (const s of streams) s.abort();
    },
  };
}

function terminalEvent(state: JobState): string {
  return state === JobState.Succeeded ? "done" : state === JobState.Cancelled ? "cancelled" : "error";
}

/** -1 (everything) when absent; else an event id this job can have: 0..steps+1. */
function parseLastEventId(value: string | undefined, steps: number): number {
  if (value === undefined || value.trim() === "") return -1;
  const v = value.trim();
  if (!/^\d+$/.test(v) || Number(v) > steps + 1) {
    throw new EmueditError(Status.InvalidArgument, `Last-Event-ID: must be an event id of this job, an integer in 0..${steps + 1}, got ${JSON.stringify(value)}`, {
      details: { field: "Last-Event-ID" },
    });
  }
  return Number(v);
}
