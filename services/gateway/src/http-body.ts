// Request bodies with a hard size limit, parsed as multipart/form-data or JSON into the raw
// fields that the edit contract's parseEditSpec validates.
import type { IncomingMessage } from "node:http";
import { InvalidEditError, type RawFields } from "@emuedit/edit-contract";
import { EmueditError, Status } from "@emuedit/errors";

const invalidBody = (message: string, cause?: unknown) => new EmueditError(Status.InvalidArgument, message, { code: "invalid_body", cause });

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(refuse(req, maxBytes, `body of ${declared} bytes is over the limit of ${maxBytes} (EMUEDIT_MAX_BODY_BYTES)`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off("data", onData);
      req.off("end", onEnd);
      reject(refuse(req, maxBytes, `body is over the limit of ${maxBytes} bytes (EMUEDIT_MAX_BODY_BYTES)`));
    };
    req.on("data", onData);
    req.once("end", onEnd);
    // a client that goes away mid-body: nobody reads the answer, but the request settles as a 4xx
    req.once("error", (err) => reject(invalidBody("the connection failed before the body ended", err)));
    req.once("close", () => {
      if (!req.complete) reject(invalidBody("the connection closed before the body ended"));
    });
  });
}

/**
 * The 413 for an upload the client is usually still sending. Closing the connection at once makes
 * the client's next write fail, and an HTTP client (Node's, for one) may then drop the response
 * it had not read yet; so up to another maxBytes of the upload is read and dropped while the
 * answer goes out, and only a client that sends more than that has its connection cut.
 */
function refuse(req: IncomingMessage, maxBytes: number, message: string): EmueditError {
  let dropped = 0;
  req.on("data", (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > maxBytes) req.socket?.destroy();
  });
  req.resume();
  return new EmueditError(Status.PayloadTooLarge, message);
}

export interface EditBody {
  readonly image: Uint8Array | undefined;
  readonly fields: RawFields;
}

/** The fields of one edit's instruction and sampling (also a session turn's). */
export const EDIT_SPEC_FIELDS = ["instruction", "task", "steps", "guidance_scale", "image_guidance_scale", "seed", "timeout_ms", "preserve_unedited"] as const;

const FIELD_NAMES = [...EDIT_SPEC_FIELDS, "output_format", "size", "callback_url"] as const;

export async function parseEditBody(contentType: string | undefined, body: Buffer): Promise<EditBody> {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "multipart/form-data") return parseMultipart(contentType!, body);
  if (type === "application/json") return parseJson(body);
  throw new EmueditError(Status.UnsupportedMediaType, `send multipart/form-data or application/json, got "${type || "(none)"}"`);
}

/** A multipart/form-data body's parts; 400 invalid_body when it is malformed. */
export async function readForm(contentType: string, body: Buffer): Promise<FormData> {
  try {
    // undici's multipart parser (Node's fetch): no extra dependency, bounded by readBody's limit.
    return await new Response(body, { headers: { "content-type": contentType } }).formData();
  } catch (err) {
    throw invalidBody("malformed multipart/form-data body", err);
  }
}

async function parseMultipart(contentType: string, body: Buffer): Promise<EditBody> {
  const form = await readForm(contentType, body);
  const file = form.get("image");
  let image: Uint8Array | undefined;
  if (file !== null && typeof file !== "string") image = new Uint8Array(await file.arrayBuffer());
  else if (typeof file === "string") throw new InvalidEditError("image", "must be a file part, not a text field");
  const fields: Record<string, string | undefined> = {};
  for (const name of FIELD_NAMES) {
    const v = form.get(name);
    if (v !== null && typeof v !== "string") throw new InvalidEditError(name, "must be a text field");
    fields[name] = v ?? undefined;
  }
  return { image, fields };
}

/** A JSON object body (requests without an image: sessions' turns, task prediction). */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json") throw new EmueditError(Status.UnsupportedMediaType, `send application/json, got "${type || "(none)"}"`);
  return parseJsonObject(await readBody(req, maxBytes));
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (err) {
    throw invalidBody("body is not valid JSON", err);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw invalidBody("JSON body must be an object");
  return json as Record<string, unknown>;
}

function parseJson(body: Buffer): EditBody {
  const o = parseJsonObject(body);
  let image: Uint8Array | undefined;
  if (o.image !== undefined) {
    if (typeof o.image !== "string") throw new InvalidEditError("image", "must be a base64 string");
    const b64 = o.image.replace(/^data:[^;]+;base64,/, "");
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) throw new InvalidEditError("image", "is not valid base64");
    image = Buffer.from(b64, "base64");
  }
  // Values of any JSON type go on: parseEditSpec says what each field accepts.
  const fields: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) if (o[name] !== undefined && o[name] !== null) fields[name] = o[name];
  return { image, fields };
}
