// POST /v1/images/edits, OpenAI's image edit API (the `openai` clients' images.edit): multipart
// `image`, `prompt`, `n`, `size`, `response_format`, `model`; reply `{created, data: [...]}`;
// errors `{error: {message, type, param, code}}`. Each of the n images is one edit through the
// same EditService as POST /v1/edits, with seeds seed..seed+n-1 of one random seed.
import { randomInt, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { InvalidEditError, parseEditImage, parseEditSpec, type EditLimits, type SamplingDefaults } from "@emuedit/edit-contract";
import { EmueditError, HTTP_STATUS, Status } from "@emuedit/errors";
import type { Principal } from "./auth/access.js";
import { admitted, clientGone, fingerprint, replyOnce, type EditAdmission, type StoredReply } from "./edit-admission.js";
import type { EditRecord, EditService } from "./edit-service.js";
import { readBody, readForm } from "./http-body.js";
import type { ImageResults } from "./image-results.js";

export const OPENAI_EDIT_ROUTE = "/v1/images/edits";

export interface OpenAiOptions {
  /** The served model package's name: the only `model` accepted. */
  readonly modelName: string;
  readonly maxN: number;
  /** Accepted `size` values, "WxH". */
  readonly sizes: readonly string[];
  /** null: response_format=url is refused (no object bucket). */
  readonly results: ImageResults | null;
  /** Base of url links; "" = http://<Host header>. */
  readonly publicUrl: string;
}

export interface OpenAiRouteDeps {
  readonly edits: EditService;
  readonly defaults: SamplingDefaults;
  readonly limits: EditLimits;
  readonly maxBodyBytes: number;
  readonly admission: EditAdmission;
  readonly openai: OpenAiOptions;
}

type OpenAiEdit = Omit<OpenAiFields, "file"> & { readonly image: Uint8Array };

const RESPONSE_FORMATS = ["url", "b64_json"] as const;
type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

interface OpenAiFields {
  readonly file: File | undefined;
  readonly prompt: string;
  readonly n: number;
  readonly size: { width: number; height: number } | undefined;
  readonly responseFormat: ResponseFormat;
}

/** The request's fields, checked as OpenAI documents them; failures name the field (`param`). */
export function parseOpenAiEdit(form: FormData, opts: OpenAiOptions): OpenAiFields {
  const text = (name: string): string | undefined => {
    const v = form.get(name);
    if (v !== null && typeof v !== "string") throw new InvalidEditError(name, "must be a text field");
    return v ?? undefined;
  };
  const model = text("model");
  if (model !== undefined && model !== opts.modelName) {
    throw new EmueditError(Status.NotFound, `The model '${model}' does not exist; this server serves '${opts.modelName}'`, {
      code: "model_not_found",
      details: { field: "model" },
    });
  }
  if (form.has("mask")) throw new InvalidEditError("mask", "is not supported: the instruction says what to change");
  if (text("stream") === "true") throw new InvalidEditError("stream", "is not supported");
  const images = [...form.getAll("image"), ...form.getAll("image[]")];
  if (images.length > 1) throw new InvalidEditError("image", "must be one image");
  const file = images[0];
  if (typeof file === "string") throw new InvalidEditError("image", "must be a file part, not a text field");
  const prompt = text("prompt");
  if (prompt === undefined) throw new InvalidEditError("prompt", "required: the edit instruction");
  const nRaw = text("n") ?? "1";
  const n = /^\d{1,3}$/.test(nRaw.trim()) ? Number(nRaw) : NaN;
  if (!(n >= 1 && n <= opts.maxN)) throw new InvalidEditError("n", `must be an integer in 1..${opts.maxN}, got ${JSON.stringify(nRaw)}`);
  const sizeRaw = text("size");
  let size: OpenAiFields["size"];
  if (sizeRaw !== undefined && sizeRaw !== "auto") {
    if (!opts.sizes.includes(sizeRaw)) throw new InvalidEditError("size", `must be one of ${opts.sizes.join(", ")} or auto, got ${JSON.stringify(sizeRaw)}`);
    const [w, h] = sizeRaw.split("x").map(Number);
    size = { width: w!, height: h! };
  }
  const format = text("response_format") ?? "url";
  if (!(RESPONSE_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidEditError("response_format", `must be one of ${RESPONSE_FORMATS.join(", ")}, got ${JSON.stringify(format)}`);
  }
  if (format === "url" && opts.results === null) throw new InvalidEditError("response_format", "url is not available on this server; use b64_json");
  return { file, prompt, n, size, responseFormat: format as ResponseFormat };
}

export async function postImageEdit(
  deps: OpenAiRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
  record: { principal?: Principal; edit?: EditRecord },
): Promise<void> {
  const principal = record.principal!;
  await admitted(deps.admission, principal, res, async () => {
    const contentType = req.headers["content-type"] ?? "";
    if (!/^multipart\/form-data\s*;/i.test(contentType)) {
      throw new EmueditError(Status.UnsupportedMediaType, `send multipart/form-data, got "${contentType.split(";")[0] || "(none)"}"`);
    }
    const form = await readForm(contentType, await readBody(req, deps.maxBodyBytes));
    const { file, ...fields } = parseOpenAiEdit(form, deps.openai);
    const edit: OpenAiEdit = { ...fields, image: parseEditImage(file ? new Uint8Array(await file.arrayBuffer()) : undefined) };
    // Parsed once for its errors (prompt length...) before any edit starts.
    parseEditSpec({ instruction: edit.prompt, seed: 0 }, { defaults: deps.defaults, limits: deps.limits });
    const signal = clientGone(res);
    const base = `${req.headers["x-forwarded-proto"] === "https" ? "https" : "http"}://${req.headers.host ?? "localhost"}`;
    await replyOnce(
      deps.admission,
      req,
      res,
      { principal, route: OPENAI_EDIT_ROUTE, signal, fingerprint: fingerprint({ prompt: edit.prompt, n: edit.n, size: edit.size, format: edit.responseFormat }, edit.image) },
      () => runEdits(deps, edit, signal, record, deps.openai.publicUrl || base),
    );
  });
}

/** The n edits, side by side (the unet batches them); the first failure cancels the others. */
async function runEdits(deps: OpenAiRouteDeps, edit: OpenAiEdit, clientSignal: AbortSignal, record: { edit?: EditRecord }, base: string): Promise<StoredReply> {
  const seed = randomInt(0, 2 ** 32 - edit.n);
  const failed = new AbortController();
  const signal = AbortSignal.any([clientSignal, failed.signal]);
  const images = await Promise.all(
    Array.from({ length: edit.n }, async (_, i) => {
      const spec = parseEditSpec({ instruction: edit.prompt, seed: seed + i, output_format: "png" }, { defaults: deps.defaults, limits: deps.limits });
      const editRecord: EditRecord = { id: randomUUID() };
      if (i === 0) record.edit = editRecord;
      try {
        return (await deps.edits.edit(edit.image, spec, { record: editRecord, signal, ...(edit.size ? { outputSize: edit.size } : {}) })).image;
      } catch (err) {
        failed.abort();
        throw err;
      }
    }),
  );
  const data =
    edit.responseFormat === "b64_json"
      ? images.map((png) => ({ b64_json: png.toString("base64") }))
      : await Promise.all(images.map(async (png) => ({ url: `${base}${await deps.openai.results!.put(png)}` })));
  const body = Buffer.from(JSON.stringify({ created: Math.floor(Date.now() / 1000), data }));
  return { status: 200, headers: { "content-type": "application/json" }, body };
}

/** OpenAI's error body for any EmueditError: `type` from the status, `param` the field at fault. */
export function openAiErrorBody(e: EmueditError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  const status = HTTP_STATUS[e.status];
  const type =
    status === 401 ? "authentication_error" : status === 403 ? "permission_error" : status === 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  const field = e.details?.field;
  return { error: { message: e.message, type, param: typeof field === "string" ? field : null, code: e.code } };
}
