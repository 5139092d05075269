// The HTTP API: POST /v1/edits, GET /v1/tasks, GET /healthz, GET /readyz (docs/api.md).
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { Logger } from "@emuedit/service-kit";
import type { TaskEntry } from "@emuedit/nats";
import { parseEditParams, type ModelDefaults } from "./edit-params.js";
import type { EditResult, EditService } from "./edit-service.js";
import { toPublicError } from "./error-mapping.js";
import { parseEditBody, readBody } from "./http-body.js";
import { RequestError } from "./request-errors.js";
import type { EditLimits } from "./settings.js";

export interface HttpDeps {
  readonly edits: EditService;
  readonly tasks: { list(): readonly TaskEntry[] };
  readonly defaults: ModelDefaults;
  readonly limits: EditLimits;
  readonly maxBodyBytes: number;
  readonly ready: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
  readonly log: Logger;
}

export function createHttpServer(deps: HttpDeps): http.Server {
  return http.createServer((req, res) => {
    route(deps, req, res).catch((err: unknown) => sendError(deps, res, err));
  });
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://gateway");
  const key = `${req.method} ${url.pathname}`;
  switch (key) {
    case "POST /v1/edits":
      return postEdit(deps, req, res);
    case "GET /v1/tasks":
      return sendJson(res, 200, {
        tasks: deps.tasks.list().map((t) => ({ name: t.name, group: t.group, description: t.description, examples: t.examples })),
      });
    case "GET /healthz":
      return sendJson(res, 200, { status: "alive" });
    case "GET /readyz": {
      const r = await deps.ready();
      return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? "ready" : "not_ready", checks: r.checks });
    }
    default:
      throw new RequestError(404, "not_found", `no route for ${req.method} ${url.pathname}`);
  }
}

async function postEdit(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req, deps.maxBodyBytes);
  const { image, fields } = await parseEditBody(req.headers["content-type"], body);
  const headerTimeout = req.headers["x-emuedit-timeout-ms"];
  if (fields.timeout_ms === undefined && typeof headerTimeout === "string") fields.timeout_ms = headerTimeout;
  const params = parseEditParams(image, fields, deps.defaults, deps.limits);

  // A client that disconnects cancels its edit (and the denoising loop with it).
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  const result = await deps.edits.edit(params, { signal: gone.signal });
  if ((req.headers.accept ?? "").includes("application/json")) return sendJson(res, 200, editJson(result));
  res.writeHead(200, {
    "content-type": result.mimeType,
    "content-length": result.image.length,
    ...editHeaders(result),
  });
  res.end(result.image);
}

export function editHeaders(r: EditResult): Record<string, string> {
  const h: Record<string, string> = {
    "x-edit-id": r.id,
    "x-emuedit-seed": String(r.seed),
    "server-timing": r.timings.map((t) => `${t.stage};dur=${t.durationMs.toFixed(1)}`).join(", "),
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
    timings: Object.fromEntries(r.timings.map((t) => [t.stage, Number(t.durationMs.toFixed(2))])),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(deps: HttpDeps, res: ServerResponse, err: unknown): void {
  const e = toPublicError(err);
  if (e.status >= 500 && e.status !== 503 && e.status !== 504) deps.log.error("request failed", { error: String(err), code: e.code });
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = e.retryAfterS !== undefined ? { "retry-after": String(e.retryAfterS) } : {};
  sendJson(res, e.status, { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } }, headers);
}
