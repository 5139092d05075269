// A job as the API shows it (docs/api.md, "Asynchronous edits"): GET /v1/edits/{id}, the 202 of
// POST /v1/edits, DELETE, and the webhook body all use this one shape.
import type { EditResult } from "../edit-service.js";
import type { JobRecord, JobResult } from "@emuedit/nats";

export const jobUrl = (id: string) => `/v1/edits/${id}`;
export const eventsUrl = (id: string) => `/v1/edits/${id}/events`;
export const resultUrl = (id: string) => `/v1/edits/${id}/result`;

export function jobResult(r: EditResult): JobResult {
  return {
    mimeType: r.mimeType,
    width: r.width,
    height: r.height,
    bytes: r.image.length,
    task: r.task?.task.name ?? null,
    taskPredicted: r.task?.predicted ?? false,
    ...(r.task?.predicted ? { taskConfidence: r.task.confidence } : {}),
    seed: r.seed,
    timings: Object.fromEntries(r.timings.map((t) => [t.stage, Number(t.durationMs.toFixed(2))])),
  };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** `image`: the result's bytes to inline as base64 (GET ?include=image). */
export function jobJson(r: JobRecord, image?: Uint8Array) {
  const res = r.result;
  return {
    id: r.id,
    state: r.state,
    progress: { step: r.step, steps: r.steps },
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
    ...(r.finishedAt !== undefined ? { finished_at: iso(r.finishedAt) } : {}),
    status_url: jobUrl(r.id),
    events_url: eventsUrl(r.id),
    cancel_requested: r.cancelRequested,
    attempts: r.attempts,
    ...(res
      ? {
          result: {
            url: resultUrl(r.id),
            mime_type: res.mimeType,
            width: res.width,
            height: res.height,
            bytes: res.bytes,
            task: res.task,
            task_predicted: res.taskPredicted,
            ...(res.taskConfidence !== undefined ? { task_confidence: res.taskConfidence } : {}),
            seed: res.seed,
            timings: res.timings,
            ...(image ? { image: Buffer.from(image).toString("base64") } : {}),
          },
        }
      : {}),
    ...(r.error ? { error: r.error } : {}),
    ...(r.callback ? { callback: { url: r.callback.url, state: r.callback.state, attempts: r.callback.attempts } } : {}),
  };
}

/** The webhook's body: the job as GET shows it, with an event name. */
export function webhookPayload(r: JobRecord) {
  const { callback: _callback, ...job } = jobJson(r);
  return { event: `edit.${r.state}`, job };
}
