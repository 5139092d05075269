// The statuses an error can carry, and what each one is on every wire: an HTTP status for the
// gateway's HTTP API and a gRPC code for every gRPC server (and, read backwards, for gRPC
// clients). These two tables are the whole mapping; each edge applies them once.

export const Status = {
  /** A field is missing, malformed or out of range; the request must change. */
  InvalidArgument: "invalid_argument",
  /** Well-formed, but cannot be done as asked (e.g. the task is unclear): name more. */
  Unprocessable: "unprocessable",
  /** No credentials, or credentials that are not (or no longer) valid. */
  Unauthenticated: "unauthenticated",
  /** Valid credentials without the scope the operation needs. */
  PermissionDenied: "permission_denied",
  NotFound: "not_found",
  /** The resource is in a state that refuses the request (e.g. cancelling a finished job). */
  Conflict: "conflict",
  MethodNotAllowed: "method_not_allowed",
  PayloadTooLarge: "payload_too_large",
  UnsupportedMediaType: "unsupported_media_type",
  /** The client went away or cancelled. */
  Cancelled: "cancelled",
  DeadlineExceeded: "deadline_exceeded",
  /** Down, starting or draining: retry (elsewhere) later. */
  Unavailable: "unavailable",
  /** Overloaded (a bounded queue is full): retry later. */
  ResourceExhausted: "resource_exhausted",
  /** The caller's own quota (rate or concurrent edits) is spent: retry after Retry-After. */
  RateLimited: "rate_limited",
  /** A downstream service failed unexpectedly (the gateway's view of a model service's internal error). */
  Upstream: "upstream",
  Internal: "internal",
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** The HTTP status each Status answers with. 499 is nginx's "client closed request". */
export const HTTP_STATUS: Readonly<Record<Status, number>> = {
  invalid_argument: 400,
  unprocessable: 422,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  cancelled: 499,
  deadline_exceeded: 504,
  unavailable: 503,
  resource_exhausted: 503,
  rate_limited: 429,
  upstream: 502,
  internal: 500,
};

/**
 * gRPC status codes (grpc/doc/statuscodes.md), by number so this package needs no gRPC library:
 * 1 CANCELLED, 3 INVALID_ARGUMENT, 4 DEADLINE_EXCEEDED, 5 NOT_FOUND, 8 RESOURCE_EXHAUSTED,
 * 7 PERMISSION_DENIED, 9 FAILED_PRECONDITION, 12 UNIMPLEMENTED, 13 INTERNAL, 14 UNAVAILABLE,
 * 16 UNAUTHENTICATED.
 */
export const GRPC_CODE: Readonly<Record<Status, number>> = {
  invalid_argument: 3,
  unprocessable: 9,
  unauthenticated: 16,
  permission_denied: 7,
  not_found: 5,
  conflict: 9,
  method_not_allowed: 12,
  payload_too_large: 3,
  unsupported_media_type: 3,
  cancelled: 1,
  deadline_exceeded: 4,
  unavailable: 14,
  resource_exhausted: 8,
  rate_limited: 8,
  upstream: 13,
  internal: 13,
};

/** What a received gRPC code means to the caller (codes not listed are internal). */
export function statusFromGrpcCode(code: number): Status {
  switch (code) {
    case 1:
      return Status.Cancelled;
    case 3:
    case 11: // OUT_OF_RANGE
      return Status.InvalidArgument;
    case 4:
      return Status.DeadlineExceeded;
    case 5:
      return Status.NotFound;
    case 7:
      return Status.PermissionDenied;
    case 8:
      return Status.ResourceExhausted;
    case 9:
      return Status.Unprocessable;
    case 12:
      return Status.MethodNotAllowed;
    case 14:
      return Status.Unavailable;
    case 16:
      return Status.Unauthenticated;
    default:
      return Status.Internal;
  }
}

/** Statuses a client may simply retry later (the HTTP edge sends Retry-After with them). */
export function isRetryable(status: Status): boolean {
  return status === Status.Unavailable || status === Status.ResourceExhausted || status === Status.RateLimited;
}
