// A session as the API shows it (docs/api.md, "Sessions"): GET /v1/sessions/{id}, the answers
// of POST /v1/sessions, POST .../edits and PUT .../head all use this one shape.
import type { SessionRecord, SessionTurn } from "@emuedit/nats";
import { eventsUrl, jobUrl } from "../jobs/job-json.js";
import type { TurnOutcome, TurnRequest } from "./session-service.js";

export const sessionUrl = (id: string) => `/v1/sessions/${id}`;
export const turnImageUrl = (id: string, turn: number) => `/v1/sessions/${id}/turns/${turn}/image`;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function turnJson(sessionId: string, t: SessionTurn) {
  const request = t.request as TurnRequest | undefined;
  const outcome = t.outcome as TurnOutcome | undefined;
  return {
    id: t.id,
    parent: t.parent,
    state: t.state,
    created_at: iso(t.createdAt),
    ...(t.finishedAt !== undefined ? { finished_at: iso(t.finishedAt) } : {}),
    ...(request
      ? {
          instruction: request.instruction,
          requested_task: request.task,
          steps: request.steps,
          guidance_scale: request.guidanceScale,
          image_guidance_scale: request.imageGuidanceScale,
          seed: request.seed,
          preserve_unedited: request.preserveThreshold !== null,
          ...(request.preserveThreshold !== null ? { preserve_threshold: request.preserveThreshold } : {}),
        }
      : {}),
    ...(outcome
      ? {
          task: outcome.task,
          task_predicted: outcome.taskPredicted,
          ...(outcome.taskConfidence !== undefined ? { task_confidence: outcome.taskConfidence } : {}),
          ...(outcome.revertedPixels !== undefined ? { reverted_pixels: outcome.revertedPixels } : {}),
        }
      : {}),
    ...(t.jobId ? { job_id: t.jobId, job_url: jobUrl(t.jobId), events_url: eventsUrl(t.jobId) } : {}),
    ...(t.image ? { image_url: turnImageUrl(sessionId, t.id), mime_type: t.image.mimeType, width: t.image.width, height: t.image.height, bytes: t.image.bytes } : {}),
    ...(t.error ? { error: t.error } : {}),
  };
}

export function sessionJson(s: SessionRecord) {
  return {
    id: s.id,
    url: sessionUrl(s.id),
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
    expires_at: iso(s.expiresAt),
    head: s.head,
    turns: s.turns.map((t) => turnJson(s.id, t)),
  };
}
