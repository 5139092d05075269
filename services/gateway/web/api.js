// The gateway's HTTP API as the page uses it (docs/api.md), and the one place where an API error
// becomes a sentence a person understands.

/** An API failure: `code` from the error body (or "network"), `message` for people. */
export class ApiError extends Error {
  constructor(code, message, details = {}, retryAfterS = undefined) {
    super(message);
    this.code = code;
    this.details = details;
    this.retryAfterS = retryAfterS;
  }
}

async function call(method, url, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["content-type"] = "application/json";
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError("network", "The editor server cannot be reached. Check that it is running, then try again.");
  }
  if (res.ok) return res.status === 204 ? null : res.json();
  let error = { code: "internal", message: res.statusText };
  try {
    error = (await res.json()).error ?? error;
  } catch {
    // not JSON (a proxy's page): the status decides
  }
  const retry = Number(res.headers.get("retry-after")) || undefined;
  throw new ApiError(error.code, humanMessage(error, retry), error.details ?? {}, retry);
}

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
    case "unavailable":
    case "resource_exhausted":
      return `The editor is busy right now.${later}`;
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
