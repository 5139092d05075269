// The HTTP side of sessions (docs/api.md, "Sessions"): /v1/sessions and the routes under it.
import { InvalidEditError, parseEditImage, parseEditSpec, type EditLimits, type SamplingDefaults } from "@emuedit/edit-contract";
import { DEFAULT_THRESHOLD_ALPHA } from "@emuedit/imaging";
import { validateSessionId } from "@emuedit/nats";
import { EDIT_SPEC_FIELDS, parseEditBody, readBody, readJsonObject } from "../http-body.js";
import { sendJson, type PathHandler, type PathRoutes } from "../http-reply.js";
import { sessionJson, sessionUrl, turnJson } from "./session-json.js";
import type { NewTurn, SessionService } from "./session-service.js";

const SESSION_PATH = /^\/v1\/sessions(?:\/([^/]+)(\/edits|\/head|\/turns\/([^/]+)\/image)?)?$/;

/** A turn's body is a small JSON object (no image: the parent turn is the input). */
const MAX_TURN_BODY_BYTES = 64 * 1024;

/** The fields a turn accepts; the output is always PNG at the session's size. */
const TURN_FIELDS = new Set<string>([...EDIT_SPEC_FIELDS, "parent", "preserve_threshold"]);

export interface SessionRoutesOptions {
  readonly defaults: SamplingDefaults;
  readonly limits: EditLimits;
  readonly maxBodyBytes: number;
}

export function sessionRoutes(sessions: SessionService, options: SessionRoutesOptions): PathRoutes {
  const create: PathHandler = async (req, res) => {
    const { image } = await parseEditBody(req.headers["content-type"], await readBody(req, options.maxBodyBytes));
    const s = await sessions.create(parseEditImage(image));
    sendJson(res, 201, sessionJson(s), { location: sessionUrl(s.id) });
  };

  const show: PathHandler = async (_req, res, url) => sendJson(res, 200, sessionJson(await sessions.get(sessionId(url))));

  const remove: PathHandler = async (_req, res, url) => {
    await sessions.delete(sessionId(url));
    res.writeHead(204).end();
  };

  const edit: PathHandler = async (req, res, url) => {
    const id = sessionId(url);
    const turn = parseTurn(await readJsonObject(req, MAX_TURN_BODY_BYTES), options);
    const started = await sessions.edit(id, turn);
    sendJson(res, 202, { session: sessionJson(started.session), turn: turnJson(id, started.turn) }, { location: sessionUrl(id) });
  };

  const head: PathHandler = async (req, res, url) => {
    const id = sessionId(url);
    const body = await readJsonObject(req, MAX_TURN_BODY_BYTES);
    const turn = turnNumber(body.turn, "turn");
    if (turn === undefined) throw new InvalidEditError("turn", "required: the id of a succeeded turn");
    sendJson(res, 200, sessionJson(await sessions.setHead(id, turn)));
  };

  const image: PathHandler = async (_req, res, url) => {
    const id = sessionId(url);
    const n = turnNumber(decode(SESSION_PATH.exec(url.pathname)![3]!), "turn");
    const { bytes, turn } = await sessions.image(id, n!);
    res.writeHead(200, {
      "content-type": turn.image!.mimeType,
      "content-length": bytes.length,
      // A turn's image never changes once written; the session's retention bounds its life.
      "cache-control": "private, max-age=31536000, immutable",
      "content-disposition": `inline; filename="emuedit-${id.slice(0, 8)}-turn-${turn.id}.png"`,
    });
    res.end(bytes);
  };

  return {
    match(path): ReturnType<PathRoutes["match"]> {
      const m = SESSION_PATH.exec(path);
      if (!m) return undefined;
      if (m[1] === undefined) return { route: "/v1/sessions", methods: { POST: create } };
      if (m[2] === "/edits") return { route: "/v1/sessions/{id}/edits", methods: { POST: edit } };
      if (m[2] === "/head") return { route: "/v1/sessions/{id}/head", methods: { PUT: head } };
      if (m[2]) return { route: "/v1/sessions/{id}/turns/{turn}/image", methods: { GET: image } };
      return { route: "/v1/sessions/{id}", methods: { GET: show, DELETE: remove } };
    },
  };
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The {id} of the path, checked: a malformed id is a 400, a well-formed unknown one a 404. */
function sessionId(url: URL): string {
  return validateSessionId(decode(SESSION_PATH.exec(url.pathname)![1]!));
}

/** A turn id: a JSON integer >= 0 (or its decimal string, from a path). */
function turnNumber(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidEditError(field, `must be a turn id, an integer >= 0, got ${JSON.stringify(v)}`);
  return n;
}

function parseTurn(body: Record<string, unknown>, options: SessionRoutesOptions): NewTurn {
  for (const key of Object.keys(body)) {
    if (!TURN_FIELDS.has(key)) throw new InvalidEditError(key, `is not a field of a turn (it accepts ${[...TURN_FIELDS].join(", ")})`);
  }
  const { parent, preserve_unedited: preserve, preserve_threshold: threshold, ...fields } = body;
  if (preserve !== undefined && typeof preserve !== "boolean") throw new InvalidEditError("preserve_unedited", `must be true or false, got ${JSON.stringify(preserve)}`);
  if (threshold !== undefined) {
    if (preserve !== true) throw new InvalidEditError("preserve_threshold", "only with preserve_unedited: true");
    if (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1)) {
      throw new InvalidEditError("preserve_threshold", `must be a number in (0, 1], got ${JSON.stringify(threshold)}`);
    }
  }
  // Thresholding happens in the session, against the parent turn, so the job itself runs without it.
  const spec = parseEditSpec({ ...fields, output_format: "png", size: "original", preserve_unedited: false }, options);
  return { spec, parent: turnNumber(parent, "parent"), preserveThreshold: preserve === true ? ((threshold as number | undefined) ?? DEFAULT_THRESHOLD_ALPHA) : null };
}
