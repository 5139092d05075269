// gRPC status errors on both sides of a call. A server handler throws any EmueditError; the
// adapter sends its Status as the gRPC code (the one table in @emuedit/errors) and its public
// code as trailing metadata. A client receives a GrpcError: an EmueditError whose Status is read
// back from the gRPC code, so callers handle remote and local failures alike.
import { Metadata, status as GrpcStatus } from "@grpc/grpc-js";
import { EmueditError, GRPC_CODE, Status, statusFromGrpcCode } from "@emuedit/errors";

export { GrpcStatus };

/** Trailing metadata that carries an error's public code (e.g. "unknown_task") across a call. */
export const ERROR_CODE_METADATA = "emuedit-error-code";

export class GrpcError extends EmueditError {
  override name = "GrpcError";
  /** gRPC status code (GrpcStatus.*). */
  readonly grpcCode: GrpcStatus;
  /** The status message as sent on the wire (grpc-message), without the code prefix. */
  readonly grpcDetails: string;
  /** Trailing metadata: received (client side) or to send (server side). */
  readonly metadata: Metadata | undefined;

  constructor(grpcCode: GrpcStatus, details: string, options: { metadata?: Metadata; cause?: unknown } = {}) {
    const sentCode = options.metadata?.get(ERROR_CODE_METADATA)[0];
    super(statusFromGrpcCode(grpcCode), `${GrpcStatus[grpcCode] ?? grpcCode}: ${details}`, {
      ...(typeof sentCode === "string" && /^[a-z_]{1,64}$/.test(sentCode) ? { code: sentCode } : {}),
      cause: options.cause,
    });
    this.grpcCode = grpcCode;
    this.grpcDetails = details;
    this.metadata = options.metadata;
  }
}

export const deadlineExceeded = (details: string, cause?: unknown) => new GrpcError(GrpcStatus.DEADLINE_EXCEEDED, details, { cause });
export const cancelled = (details: string, cause?: unknown) => new GrpcError(GrpcStatus.CANCELLED, details, { cause });

/**
 * What a handler's throw becomes on the wire. A call whose own deadline or cancel aborted it
 * answers with that (the handler's error is only its consequence); a GrpcError keeps its code;
 * an EmueditError maps by Status; anything else is INTERNAL with its message (no stack).
 */
export function toStatusObject(err: unknown, signal?: AbortSignal): { code: GrpcStatus; details: string; metadata: Metadata } {
  if (signal?.aborted && signal.reason instanceof GrpcError) err = signal.reason;
  if (err instanceof GrpcError) return { code: err.grpcCode, details: err.grpcDetails, metadata: err.metadata ?? new Metadata() };
  const metadata = new Metadata();
  if (err instanceof EmueditError) {
    metadata.set(ERROR_CODE_METADATA, err.code);
    return { code: GRPC_CODE[err.status] as GrpcStatus, details: err.message, metadata };
  }
  const details = err instanceof Error ? err.message : String(err);
  return { code: GRPC_CODE[Status.Internal] as GrpcStatus, details, metadata };
}

/**
 * grpc-js connection details without the resolver's empty trailing "Resolution note: ", the
 * timestamp in parentheses, and the doubled "Error: " prefix: what a person reads in a 503.
 */
function readable(details: string): string {
  return details
    .replace(/\s*Resolution note:\s*$/, "")
    .replace(/ \(\d{4}-\d{2}-\d{2}T[\d:.]+Z\)/g, "")
    .replace(/Last error: Error: /, "last error: ")
    .replace(/\.$/, "")
    .trim();
}

/** A grpc-js client ServiceError (or anything else a call rejected with) as a GrpcError. */
export function fromServiceError(err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  if (typeof err !== "object" || err === null) {
    return new GrpcError(GrpcStatus.UNKNOWN, `call failed: ${String(err)}`, { cause: err });
  }
  const e = err as { code?: unknown; details?: unknown; metadata?: unknown; message?: unknown };
  const code = typeof e.code === "number" ? (e.code as GrpcStatus) : GrpcStatus.UNKNOWN;
  const details = readable(typeof e.details === "string" ? e.details : String(e.message ?? err));
  const metadata = e.metadata instanceof Metadata ? e.metadata : undefined;
  return new GrpcError(code, details, { ...(metadata ? { metadata } : {}), cause: err });
}
