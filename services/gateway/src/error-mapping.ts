// Every failure of an edit as one public shape, {status, code, message}, used by the HTTP API
// (status + JSON body) and the gRPC Editor (status code), so both report the same thing.
import { ImagingError } from "@emuedit/imaging";
import { InvalidEditError, UnknownTaskError } from "@emuedit/pipeline";
import { GrpcError, GrpcStatus } from "@emuedit/proto";
import { RequestError, UnavailableError } from "./request-errors.js";

export interface PublicError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly retryAfterS?: number;
}

const IMAGE_STATUS: Record<string, number> = { image_too_large: 413 };

export function toPublicError(err: unknown): PublicError {
  if (err instanceof UnavailableError) return { status: 503, code: err.code, message: err.message, retryAfterS: err.retryAfterS };
  if (err instanceof RequestError) return { status: err.status, code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  if (err instanceof UnknownTaskError) {
    return { status: 400, code: "unknown_task", message: err.message, details: { task: err.task, known: err.known } };
  }
  if (err instanceof InvalidEditError) return { status: 400, code: "invalid_argument", message: err.message, details: { field: err.field } };
  if (err instanceof ImagingError) return { status: IMAGE_STATUS[err.code] ?? 400, code: err.code, message: err.message };
  return { status: 500, code: "internal", message: "internal error" };
}

const GRPC_BY_STATUS: Record<number, GrpcStatus> = {
  400: GrpcStatus.INVALID_ARGUMENT,
  413: GrpcStatus.INVALID_ARGUMENT,
  499: GrpcStatus.CANCELLED,
  502: GrpcStatus.UNAVAILABLE,
  503: GrpcStatus.UNAVAILABLE,
  504: GrpcStatus.DEADLINE_EXCEEDED,
};

export function toGrpcStatus(e: PublicError): GrpcError {
  return new GrpcError(GRPC_BY_STATUS[e.status] ?? GrpcStatus.INTERNAL, `${e.code}: ${e.message}`);
}
