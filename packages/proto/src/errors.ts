// gRPC status errors. A GrpcError thrown by a handler (see grpc-adapter.ts) becomes that status
// at the client; the client rejects with a GrpcError carrying the received code and details.
import { Metadata, status as Status } from "@grpc/grpc-js";

export { Status as GrpcStatus };

export class GrpcError extends Error {
  override name = "GrpcError";
  /** gRPC status code (GrpcStatus.*). */
  readonly code: Status;
  /** The status message as sent on the wire (grpc-message), without the code prefix. */
  readonly details: string;
  /** Trailing metadata: received (client side) or to send (server side). */
  readonly metadata: Metadata | undefined;

  constructor(code: Status, details: string, options: { metadata?: Metadata; cause?: unknown } = {}) {
    super(`${Status[code] ?? code}: ${details}`, { cause: options.cause });
    this.code = code;
    this.details = details;
    this.metadata = options.metadata;
  }
}

export const invalidArgument = (details: string, cause?: unknown) => new GrpcError(Status.INVALID_ARGUMENT, details, { cause });
export const notFound = (details: string, cause?: unknown) => new GrpcError(Status.NOT_FOUND, details, { cause });
export const failedPrecondition = (details: string, cause?: unknown) => new GrpcError(Status.FAILED_PRECONDITION, details, { cause });
export const resourceExhausted = (details: string, cause?: unknown) => new GrpcError(Status.RESOURCE_EXHAUSTED, details, { cause });
export const unavailable = (details: string, cause?: unknown) => new GrpcError(Status.UNAVAILABLE, details, { cause });
export const deadlineExceeded = (details: string, cause?: unknown) => new GrpcError(Status.DEADLINE_EXCEEDED, details, { cause });
export const cancelled = (details: string, cause?: unknown) => new GrpcError(Status.CANCELLED, details, { cause });
export const unimplemented = (details: string, cause?: unknown) => new GrpcError(Status.UNIMPLEMENTED, details, { cause });
export const internal = (details: string, cause?: unknown) => new GrpcError(Status.INTERNAL, details, { cause });

/** What a handler's throw becomes on the wire: GrpcError as is, anything else INTERNAL with its message (no stack). */
export function toStatusObject(err: unknown): { code: Status; details: string; metadata: Metadata } {
  if (err instanceof GrpcError) {
    return { code: err.code, details: err.details, metadata: err.metadata ?? new Metadata() };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: Status.INTERNAL, details, metadata: new Metadata() };
}

/** A grpc-js client ServiceError (or anything else a call rejected with) as a GrpcError. */
export function fromServiceError(err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  if (typeof err !== "object" || err === null) {
    return new GrpcError(Status.UNKNOWN, `call failed: ${String(err)}`, { cause: err });
  }
  const e = err as { code?: unknown; details?: unknown; metadata?: unknown; message?: unknown };
  const code = typeof e.code === "number" ? (e.code as Status) : Status.UNKNOWN;
  const details = typeof e.details === "string" ? e.details : String(e.message ?? err);
  const metadata = e.metadata instanceof Metadata ? e.metadata : undefined;
  return new GrpcError(code, details, { metadata, cause: err });
}
