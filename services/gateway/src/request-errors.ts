// Errors of the gateway's own making, each with the HTTP status and stable code it maps to.

export class RequestError extends Error {
  override name = "RequestError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const badRequest = (field: string, message: string) => new RequestError(400, "invalid_argument", `${field}: ${message}`, { field });
export const payloadTooLarge = (message: string) => new RequestError(413, "payload_too_large", message);

/** A downstream stage is down or overloaded; the client should retry after `retryAfterS`. */
export class UnavailableError extends RequestError {
  override name = "UnavailableError";
  constructor(
    message: string,
    readonly retryAfterS: number,
    options?: { cause?: unknown },
  ) {
    super(503, "unavailable", message, undefined, options);
  }
}

export class DeadlineError extends RequestError {
  override name = "DeadlineError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(504, "deadline_exceeded", message, undefined, options);
  }
}
