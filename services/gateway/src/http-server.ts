// The HTTP API (docs/api.md): POST /v1/edits, GET /v1/tasks, GET /healthz, GET /readyz. The
// HTTP edge: request fields are parsed once into an EditSpec, any failure is mapped once to a
// status and a JSON body, and every request leaves one log line.
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { parseEditImage, parseEditSpec, type EditLimits, type SamplingDefaults } from "@emuedit/edit-contract";
import { asEmueditError, EmueditError, HTTP_STATUS, isRetryable, Status } from "@emuedit/errors";
import type { TaskEntry } from "@emuedit/nats";
import type { Logger } from "@emuedit/service-kit";
import { currentTraceId } from "@emuedit/telemetry";
import type { EditRecord, EditResult, EditService } from "./edit-service.js";
import { parseEditBody, readBody } from "./http-body.js";

export interface HttpDeps {
  readonly edits: EditService;
  readonly tasks: { list(): readonly TaskEntry[] };
  readonly defaults: SamplingDefaults;
  readonly limits: EditLimits;
  readonly maxBodyBytes: number;
  /** Retry-After for a retryable failure that names none. */
  readonly retryAfterS: number;
  readonly ready: () => Promise<{ ready: boolean; status: string; checks: Record<string, string>; replicas: Record<string, { serving: number; total: number }> }>;
  readonly log: Logger;
}

type Handler = (deps: HttpDeps, req: IncomingMessage, res: ServerResponse, record: RequestRecord) => Promise<void>;

/** Routes by path, then method: a known path with another method is 405 with Allow. */
const ROUTES: Readonly<Record<string, Readonly<Record<string, Handler>>>> = {
  "/v1/edits": { POST: postEdit },
  "/v1/tasks": {
    GET: async (deps, _req, res) =>
      sendJson(res, 200, {
        tasks: deps.tasks.list().map((t) => ({ name: t.name, group: t.group, description: t.description, examples: t.examples })),
      }),
  },
  "/healthz": { GET: async (_deps, _req, res) => sendJson(res, 200, { status: "alive" }) },
  "/readyz": {
    GET: async (deps, _req, res) => {
      const r = await deps.ready();
      sendJson(res, r.ready ? 200 : 503, { status: r.status, checks: r.checks, replicas: r.replicas });
    },
  },
};

/** What the request's log line says besides method, status and duration. */
interface RequestRecord {
  route: string;
  edit?: EditRecord;
}

export function createHttpServer(deps: HttpDeps): http.Server {
  return http.createServer((req, res) => {
    const started = performance.now();
    // The request's trace (the HTTP server span is active here), so a log line leads to its trace.
    const traceId = currentTraceId();
    const url = new URL(req.url ?? "/", "http://gateway");
    const record: RequestRecord = { route: url.pathname in ROUTES ? url.pathname : "(unknown)" };
    // One line per request, whether it finished or the client went away (499, as nginx logs it).
    res.once("close", () => {
      deps.log.info("request", {
        method: req.method,
        route: record.route,
        status: res.writableFinished ? res.statusCode : 499,
        duration_ms: Number((performance.now() - started).toFixed(1)),
        edit_id: record.edit?.id,
        task: record.edit?.task,
        trace_id: traceId,
      });
    });
    route(deps, req, res, url.pathname, record).catch((err: unknown) => sendError(deps, res, err));
  });
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, path: string, record: RequestRecord): Promise<void> {
  const methods = ROUTES[path];
  if (!methods) throw new EmueditError(Status.NotFound, `no route for ${req.method} ${path}`);
  const handler = methods[req.method ?? ""];
  if (!handler) {
    const allow = Object.keys(methods).join(", ");
    throw new EmueditError(Status.MethodNotAllowed, `${path} accepts ${allow}, not ${req.method}`, { details: { allow } });
  }
  return handler(deps, req, res, record);
}

async function postEdit(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
  const body = await readBody(req, deps.maxBodyBytes);
  const { image, fields } = await parseEditBody(req.headers["content-type"], body);
  const bytes = parseEditImage(image);
  const headerTimeout = req.headers["x-emuedit-timeout-ms"];
  const spec = parseEditSpec(
    { ...fields, ...(fields.timeout_ms === undefined && typeof headerTimeout === "string" ? { timeout_ms: headerTimeout } : {}) },
    { defaults: deps.defaults, limits: deps.limits },
  );

  // A client that disconnects cancels its edit (and the denoising loop with it).
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  record.edit = { id: randomUUID() };
  const result = await deps.edits.edit(bytes, spec, { record: record.edit, signal: gone.signal });
  if ((req.headers.accept ?? "").includes("application/json")) return sendJson(res, 200, editJson(result));
  res.writeHead(200, {
    "content-type": result.mimeType,
    "content-length": result.image.length,
    ...editHeaders(result),
  });
  res.end(result.image);
}

function editHeaders(r: EditResult): Record<string, string> {
  const h: Record<string, string> = {
    "x-edit-id": r.id,
    "x-emuedit-seed": String(r.seed),
    "server-timing": [...r.coldStarts, ...r.timings].map((t) => `${t.stage};dur=${t.durationMs.toFixed(1)}`).join(", "),
  };
  if (r.task) {
    h["x-emuedit-task"] = r.task.task.name;
    if (r.task.predicted) h["x-emuedit-task-confidence"] = r.task.confidence.toFixed(4);
  }
  return h;
}

function editJson(r: EditResult) {
  return {
    id: r.id,
    task: r.task?.task.name ?? null,
    task_predicted: r.task?.predicted ?? false,
    ...(r.task?.predicted ? { task_confidence: r.task.confidence } : {}),
    seed: r.seed,
    mime_type: r.mimeType,
    width: r.width,
    height: r.height,
    image: r.image.toString("base64"),
    timings: Object.fromEntries([...r.coldStarts, ...r.timings].map((t) => [t.stage, Number(t.durationMs.toFixed(2))])),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The HTTP edge's one mapping of a failure: its Status's HTTP code, its public code and message. */
function sendError(deps: HttpDeps, res: ServerResponse, err: unknown): void {
  const e = asEmueditError(err);
  if (e.status === Status.Internal || e.status === Status.Upstream) deps.log.error("request failed", { error: String(err), code: e.code });
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (isRetryable(e.status)) headers["retry-after"] = String(e.retryAfterS ?? deps.retryAfterS);
  if (e.status === Status.MethodNotAllowed && typeof e.details?.allow === "string") headers.allow = e.details.allow;
  sendJson(res, HTTP_STATUS[e.status], { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } }, headers);
}
