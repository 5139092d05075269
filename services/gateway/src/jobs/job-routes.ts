// The HTTP side of asynchronous edits (docs/api.md, "Asynchronous edits"): the 202 of
// `POST /v1/edits` with `Prefer: respond-async`, and the routes under /v1/edits/{id}.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EditSpec } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";
import { decodeImage, type ImageLimits } from "@emuedit/imaging";
import { JobNotFoundError, JobState, validateEditId, type JobStore } from "@emuedit/nats";
import { sendJson, type PathHandler, type PathRoutes } from "../http-reply.js";
import type { JobEvents } from "./job-events.js";
import { jobJson, jobUrl } from "./job-json.js";
import type { JobRunner } from "./job-runner.js";
import { parseCallbackUrl } from "./webhook.js";

type JobHandler = PathHandler;

export interface JobHttp extends PathRoutes {
  /** Stores the job and answers 202; resolves with the job's id. */
  accept(res: ServerResponse, image: Uint8Array, spec: EditSpec, callbackUrl: unknown): Promise<string>;
}

const JOB_PATH = /^\/v1\/edits\/([^/]+)(\/events|\/result)?$/;

export interface JobRoutesOptions {
  readonly webhookSecret: string;
  readonly imageLimits: ImageLimits;
}

export function jobRoutes(store: JobStore, runner: JobRunner, events: JobEvents, options: JobRoutesOptions): JobHttp {
  const load = async (id: string) => {
    const job = await store.get(id);
    if (job === null) throw new JobNotFoundError(id);
    return job;
  };

  const status: JobHandler = async (_req, res, url) => {
    const id = jobId(url);
    const { record } = await load(id);
    const include = url.searchParams.get("include");
    if (include !== null && include !== "image") {
      throw new EmueditError(Status.InvalidArgument, `include: must be "image", got ${JSON.stringify(include)}`, { details: { field: "include" } });
    }
    const image = include === "image" && record.state === JobState.Succeeded ? await store.readResult(id) : null;
    sendJson(res, 200, jobJson(record, image ?? undefined));
  };

  const cancel: JobHandler = async (_req, res, url) => {
    const { record } = await runner.cancel(jobId(url));
    sendJson(res, record.state === JobState.Cancelled ? 200 : 202, jobJson(record));
  };

  const result: JobHandler = async (_req, res, url) => {
    const id = jobId(url);
    const { record } = await load(id);
    if (record.state !== JobState.Succeeded || !record.result) {
      throw new EmueditError(Status.Conflict, `job ${id} is ${record.state}: it has no result${record.state === JobState.Failed ? " (GET /v1/edits/{id} has the error)" : " yet"}`, {
        code: "no_result",
        details: { state: record.state },
      });
    }
    const bytes = await store.readResult(id);
    if (bytes === null) throw new JobNotFoundError(id);
    res.writeHead(200, {
      "content-type": record.result.mimeType,
      "content-length": bytes.length,
      "x-edit-id": id,
      "x-emuedit-seed": String(record.result.seed),
      ...(record.result.task ? { "x-emuedit-task": record.result.task } : {}),
    });
    res.end(bytes);
  };

  const stream: JobHandler = async (req, res, url) => {
    const last = req.headers["last-event-id"];
    await events.serve(jobId(url), Array.isArray(last) ? last[0] : last, res);
  };

  return {
    async accept(res, image, spec, callbackUrl) {
      const callback = parseCallbackUrl(callbackUrl, options.webhookSecret);
      // A bad image is the client's 400 now, not a failed job later.
      await decodeImage(image, options.imageLimits);
      const { record } = await runner.submit(image, spec, callback);
      sendJson(res, 202, jobJson(record), { location: jobUrl(record.id), "preference-applied": "respond-async" });
      return record.id;
    },
    match(path): { route: string; methods: Readonly<Record<string, JobHandler>> } | undefined {
      const m = JOB_PATH.exec(path);
      if (!m) return undefined;
      if (m[2] === "/events") return { route: "/v1/edits/{id}/events", methods: { GET: stream } };
      if (m[2] === "/result") return { route: "/v1/edits/{id}/result", methods: { GET: result } };
      return { route: "/v1/edits/{id}", methods: { GET: status, DELETE: cancel } };
    },
  };
}

/** The {id} of the path, checked: a malformed id is a 400, a well-formed unknown one a 404. */
function jobId(url: URL): string {
  const raw = JOB_PATH.exec(url.pathname)![1]!;
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    id = raw;
  }
  return validateEditId(id);
}
