// The gateway's HTTP API as the page uses it (docs/api.md), with the API key on every request,
// and the one place where an API error becomes a sentence a person understands.
import { apiKey, askForKey } from "./api-key.js";
import { readEventStream } from "./sse.js";

/** An API failure: `code` from the error body (or "network"), `message` for people. */
export class ApiError extends Error {
  constructor(code, message, details = {}, retryAfterS = undefined) {
    super(message);
    this.code = code;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}

/**
 * fetch with the API key: sends `Authorization: Bearer` when the page has a key (never a key in
 * a URL: URLs end up in logs, history and Referer headers). On 401 it asks the person for a key
 * and sends the request again with it; it returns the 401 when they decline.
 */
export async function authFetch(url, init = {}) {
  for (;;) {
    const key = apiKey();
    const headers = { ...init.headers, ...(key ? { authorization: `Bearer ${key}` } : {}) };
    const res = await fetch(url, { ...init, headers });
    if (res.status !== 401) return res;
    // Another request's dialog may have brought a new key meanwhile: try that one first.
    if (apiKey() !== key && apiKey() !== null) continue;
    const error = await errorOf(res.clone());
    if ((await askForKey({ rejected: key !== null, message: error.message })) === null) return res;
  }
}

/** An error response as an ApiError with the message for people. */
export async function errorOf(res) {
  if (res.status === 401 && apiKey() === null) {
    return new ApiError("api_key_required", "This server needs an API key before it edits images. Choose “Enter API key” at the top of the page.");
  }
  let error = { code: "internal", message: res.statusText };
  try {
    error = (await res.json()).error ?? error;
  } catch {
    // not JSON (a proxy's page): the status decides
  }
  const retry = Number(res.headers.get("retry-after")) || undefined;
  return new ApiError(error.code, humanMessage(error, retry), error.details ?? {}, retry);
}

const unreachable = () => new ApiError("network", "The editor server cannot be reached. Check that it is running, then try again.");

async function send(method, url, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  try {
    return await authFetch(url, init);
  } catch {
    throw unreachable();
  }
}

async function call(method, url, body) {
  const res = await send(method, url, body);
  if (res.ok) return res.status === 204 ? null : res.json();
  throw await errorOf(res);
}

/** Object URLs of images already fetched (a turn's image never changes): API URL -> blob: URL. */
const images = new Map();

export const api = {
  tasks: () => call("GET", "/v1/tasks"),
  predict: (instruction) => call("POST", "/v1/tasks/predict", { instruction }),
  createSession(file) {
    const form = new FormData();
    form.append("image", file, file.name || "image");
    return call("POST", "/v1/sessions", form);
  },
  session: (id) => call("GET", `/v1/sessions/${id}`),
  edit: (id, fields) => call("POST", `/v1/sessions/${id}/edits`, fields),
  setHead: (id, turn) => call("PUT", `/v1/sessions/${id}/head`, { turn }),
  cancel: (jobUrl) => call("DELETE", jobUrl),
  /**
   * A blob: URL of the image at `url`: an <img src> cannot send the API key, so the page
   * fetches the bytes itself (the CSP allows blob: images).
   */
  async image(url) {
    const known = images.get(url);
    if (known) return known;
    const res = await send("GET", url);
    if (!res.ok) throw await errorOf(res);
    const src = URL.createObjectURL(await res.blob());
    images.set(url, src);
    return src;
  },
  /** Lets go of the images of a session the page no longer shows. */
  dropImages() {
    for (const src of images.values()) URL.revokeObjectURL(src);
    images.clear();
  },
  /** Follows a job's events until its outcome (see sse.js); resolves with the final event. */
  events: (url, onEvent, signal) =>
    readEventStream(url, {
      fetch: authFetch,
      onEvent,
      signal,
      final: (e) => e.type === "done" || e.type === "cancelled" || e.type === "error",
      refused: errorOf,
      gaveUp: unreachable,
    }),
};

const percent = (p) => `${Math.round(p * 100)}%`;

/** The API's error (code, message, details) in words for the person at the page. */
export function humanMessage(error, retryAfterS) {
  const later = retryAfterS ? ` Please try again in ${retryAfterS} seconds.` : " Please try again in a moment.";
  const field = error.details?.field;
  switch (error.code) {
    case "invalid_image":
    case "unsupported_image_format":
    case "empty_image":
      return "That file is not an image the editor can read. Choose a PNG, JPEG, WebP or GIF picture.";
    case "image_too_large":
    case "payload_too_large":
      return "That image is too large. Choose a smaller picture.";
    case "task_unclear": {
      const c = (error.details?.candidates ?? []).map((x) => `${x.task} (${percent(x.confidence)})`).join(", ");
      return `The editor is not sure what kind of edit you mean${c ? `; it looks most like ${c}` : ""}. Choose one under “Task”, or reword the instruction.`;
    }
    case "unknown_task":
      return "That task does not exist any more. Choose another one under “Task”.";
    case "invalid_api_key":
      return "The server did not accept the API key: it is unknown, revoked or mistyped. Enter it again, or ask whoever runs this editor for a new one.";
    case "insufficient_scope":
      return "Your API key may not edit images (it lacks the “edit” scope). Ask whoever runs this editor for a key that may edit, then choose “Forget key” and enter it.";
    case "rate_limited":
      return `Your API key has made too many requests in a short time.${later}`;
    case "unavailable":
    case "resource_exhausted":
      return `The editor is busy with other edits right now.${later}`;
    case "deadline_exceeded":
      return "The edit took too long and was stopped. Try fewer steps, or try again later.";
    case "cancelled":
      return "The edit was cancelled.";
    case "not_found":
      return "This editing session has expired or no longer exists. Choose an image to start again.";
    case "session_full":
      return "This session has as many turns as it may hold. Download the image and start a new session with it.";
    case "turn_not_ready":
      return "That turn has no image yet. Wait for it to finish, or choose another turn.";
    case "invalid_argument":
      return field ? `Please check “${fieldLabel(field)}”: ${error.message.replace(/^[a-z_]+: /, "")}.` : `The request was not accepted: ${error.message}.`;
    case "network":
      return error.message;
    default:
      return `Something went wrong on the server (${error.code}).${later}`;
  }
}

const LABELS = {
  instruction: "Instruction",
  task: "Task",
  steps: "Steps",
  guidance_scale: "Guidance",
  image_guidance_scale: "Image guidance",
  seed: "Seed",
  preserve_threshold: "Change threshold",
  image: "Image file",
};
const fieldLabel = (f) => LABELS[f] ?? f;
