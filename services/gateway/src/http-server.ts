// The HTTP API (docs/api.md): POST /v1/edits (blocking, or a job with Prefer: respond-async),
// the job routes under /v1/edits/{id}, POST /v1/images/edits (OpenAI's), GET /v1/tasks,
// PUT|DELETE /v1/tasks/{name} (admin), GET /healthz, GET /readyz. The
// HTTP edge: request fields are parsed once into an EditSpec, any failure is mapped once to a
// status and a JSON body, and every request leaves one log line.
import { randomUUID } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { parseEditImage, parseEditSpec, type EditLimits, type SamplingDefaults } from "@emuedit/edit-contract";
import { asEmueditError, EmueditError, HTTP_STATUS, isRetryable, Status } from "@emuedit/errors";
import type { TaskEntry, TaskRegistry } from "@emuedit/nats";
import type { Logger } from "@emuedit/service-kit";
import { currentTraceId } from "@emuedit/telemetry";
import type { Principal } from "./auth/access.js";
import { QuotaExceededError, rateLimitHeaders } from "./auth/quota.js";
import { routeScope } from "./auth/route-scopes.js";
import { admitted, clientGone, fingerprint, replyOnce, type EditAdmission, type StoredReply } from "./edit-admission.js";
import type { EditRecord, EditResult, EditService } from "./edit-service.js";
import { parseEditBody, readBody } from "./http-body.js";
import { sendJson, type PathRoutes } from "./http-reply.js";
import { IMAGE_RESULTS_ROUTE } from "./image-results.js";
import { OPENAI_EDIT_ROUTE, openAiErrorBody, postImageEdit, type OpenAiOptions } from "./openai.js";
import type { JobHttp } from "./jobs/job-routes.js";
import { parsePrefer } from "./jobs/prefer-header.js";
import { deleteTask, putTask, TASK_ADMIN_ROUTE } from "./task-admin.js";

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
  readonly admission: EditAdmission;
  readonly openai: OpenAiOptions;
  readonly taskRegistry: TaskRegistry;
  /** Asynchronous edits (Prefer: respond-async) and the /v1/edits/{id} routes. */
  readonly jobs: JobHttp;
  /** Further routes by path (sessions, task prediction, the web page), asked in order. */
  readonly routes?: readonly PathRoutes[];
}

type Handler = (deps: HttpDeps, req: IncomingMessage, res: ServerResponse, record: RequestRecord) => Promise<void>;

/**
 * Routes by path, then method: a known path with another method is 405 with Allow. A path ending
 * in "/" also routes every path one segment below it (its handler reads the segment).
 */
const ROUTES: Readonly<Record<string, Readonly<Record<string, Handler>>>> = {
  "/v1/edits": { POST: postEdit },
  [OPENAI_EDIT_ROUTE]: { POST: postImageEdit },
  [IMAGE_RESULTS_ROUTE]: { GET: getImageResult },
  [TASK_ADMIN_ROUTE]: {
    PUT: async (deps, req, res) => sendJson(res, 200, await putTask(deps.taskRegistry, deps.maxBodyBytes, req)),
    DELETE: async (deps, req, res) => sendJson(res, 200, await deleteTask(deps.taskRegistry, req)),
  },
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
  /** The caller, once its API key was checked (anonymous when auth is off). */
  principal?: Principal;
}

export function createHttpServer(deps: HttpDeps): http.Server {
  return http.createServer((req, res) => {
    const started = performance.now();
    // The request's trace (the HTTP server span is active here), so a log line leads to its trace.
    const traceId = currentTraceId();
    const url = new URL(req.url ?? "/", "http://gateway");
    const record: RequestRecord = { route: routeName(deps, url.pathname) ?? "(unknown)" };
    // One line per request, whether it finished or the client went away (499, as nginx logs it).
    res.once("close", () => {
      deps.log.info("request", {
        method: req.method,
        route: record.route,
        status: res.writableFinished ? res.statusCode : 499,
        duration_ms: Number((performance.now() - started).toFixed(1)),
        edit_id: record.edit?.id,
        api_key: record.principal?.id,
        task: record.edit?.task,
        trace_id: traceId,
      });
    });
    route(deps, req, res, url, record).catch((err: unknown) => sendError(deps, res, err, record.route));
  });
}

/**
 * Which table answers a path: an exact route, then the path tables (jobs, sessions, prediction,
 * the page), then a route ending in "/" one segment above it.
 */
function routeName(deps: HttpDeps, path: string): string | undefined {
  if (path in ROUTES) return path;
  return matchPath(deps, path)?.route ?? routeOf(path);
}

function routeOf(path: string): string | undefined {
  const parent = path.slice(0, path.lastIndexOf("/") + 1);
  return parent.length < path.length && parent in ROUTES ? parent : undefined;
}

function matchPath(deps: HttpDeps, path: string) {
  for (const routes of [deps.jobs, ...(deps.routes ?? [])]) {
    const m = routes.match(path);
    if (m) return m;
  }
  return undefined;
}

async function route(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, url: URL, record: RequestRecord): Promise<void> {
  const path = url.pathname;
  const scope = routeScope(req.method ?? "", path);
  if (scope !== null) record.principal = deps.admission.access.check(req.headers.authorization, scope);
  const known = path in ROUTES ? path : undefined;
  const matched = known === undefined ? matchPath(deps, path) : undefined;
  const parent = known === undefined && matched === undefined ? routeOf(path) : undefined;
  const methods: Readonly<Record<string, Handler>> | undefined =
    known !== undefined || parent !== undefined
      ? ROUTES[(known ?? parent)!]
      : matched && Object.fromEntries(Object.entries(matched.methods).map(([m, h]) => [m, (_d: HttpDeps, q: IncomingMessage, r: ServerResponse) => h(q, r, url)]));
  if (!methods) throw new EmueditError(Status.NotFound, `no route for ${req.method} ${path}`);
  const handler = methods[req.method ?? ""];
  if (!handler) {
    const allow = Object.keys(methods).join(", ");
    throw new EmueditError(Status.MethodNotAllowed, `${path} accepts ${allow}, not ${req.method}`, { details: { allow } });
  }
  return handler(deps, req, res, record);
}

async function postEdit(deps: HttpDeps, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
  const principal = record.principal!;
  await admitted(deps.admission, principal, res, async () => {
    const body = await readBody(req, deps.maxBodyBytes);
    const { image, fields } = await parseEditBody(req.headers["content-type"], body);
    const bytes = parseEditImage(image);
    const headerTimeout = req.headers["x-emuedit-timeout-ms"];
    const raw = { ...fields, ...(fields.timeout_ms === undefined && typeof headerTimeout === "string" ? { timeout_ms: headerTimeout } : {}) };
    const spec = parseEditSpec(raw, { defaults: deps.defaults, limits: deps.limits });
    if (parsePrefer(req.headers.prefer).respondAsync) {
      // The 202 is the reply; the job runs on (docs/api.md, "Asynchronous edits").
      record.edit = { id: await deps.jobs.accept(res, bytes, spec, fields.callback_url) };
      return;
    }
    if (fields.callback_url !== undefined) {
      throw new EmueditError(Status.InvalidArgument, "callback_url: only for asynchronous edits (send Prefer: respond-async)", { details: { field: "callback_url" } });
    }
    const asJson = (req.headers.accept ?? "").includes("application/json");

    // A client that disconnects cancels its edit (and the denoising loop with it).
    const signal = clientGone(res);
    const print = fingerprint({ ...raw, accept_json: asJson }, bytes);
    await replyOnce(deps.admission, req, res, { principal, route: "/v1/edits", fingerprint: print, signal }, async (): Promise<StoredReply> => {
      record.edit = { id: randomUUID() };
      const result = await deps.edits.edit(bytes, spec, { record: record.edit, signal });
      if (asJson) return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(editJson(result))) };
      return { status: 200, headers: { "content-type": result.mimeType, ...editHeaders(result) }, body: result.image };
    });
  });
}

async function getImageResult(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const name = new URL(req.url ?? "/", "http://gateway").pathname.slice(IMAGE_RESULTS_ROUTE.length);
  const png = deps.openai.results ? await deps.openai.results.get(name) : null;
  if (png === null) throw new EmueditError(Status.NotFound, "no such image: the link is wrong or expired (EMUEDIT_IMAGE_URL_TTL_S)");
  res.writeHead(200, { "content-type": "image/png", "content-length": png.length, "cache-control": "private, max-age=60" });
  res.end(png);
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

/** The HTTP edge's one mapping of a failure: its Status's HTTP code, its public code and message. */
function sendError(deps: HttpDeps, res: ServerResponse, err: unknown, routeName: string): void {
  const e = asEmueditError(err);
  if (e.status === Status.Internal || e.status === Status.Upstream) deps.log.error("request failed", { error: String(err), code: e.code });
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (isRetryable(e.status)) headers["retry-after"] = String(e.retryAfterS ?? deps.retryAfterS);
  if (e.status === Status.MethodNotAllowed && typeof e.details?.allow === "string") headers.allow = e.details.allow;
  if (e instanceof QuotaExceededError) Object.assign(headers, rateLimitHeaders(e.rateLimit));
  if (e.status === Status.Unauthenticated) headers["www-authenticate"] = "Bearer";
  // OpenAI's routes answer in OpenAI's error shape, so its clients read the message.
  const body = routeName.startsWith("/v1/images/") ? openAiErrorBody(e) : { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
  sendJson(res, HTTP_STATUS[e.status], body, headers);
}
