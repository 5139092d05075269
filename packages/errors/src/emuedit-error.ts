// The one error base of emuedit: every failure that can reach a caller carries its Status (what
// it is on the wire) and a stable public code (what a client matches on). Packages subclass it,
// one class per failure; the edges (HTTP server, gRPC server, gRPC client) map it once.
import { Status } from "./status.js";

export interface EmueditErrorOptions {
  /** Stable snake_case code for clients; defaults to the status name. */
  readonly code?: string;
  /** Structured context for the client (field name, known task names, limits...). */
  readonly details?: Record<string, unknown>;
  /** For retryable statuses: how long a client should wait, seconds. */
  readonly retryAfterS?: number;
  readonly cause?: unknown;
}

export class EmueditError extends Error {
  override name = "EmueditError";
  readonly status: Status;
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterS: number | undefined;

  constructor(status: Status, message: string, options: EmueditErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = options.code ?? status;
    this.details = options.details;
    this.retryAfterS = options.retryAfterS;
  }
}

/** The public face of any thrown value: itself when it is an EmueditError, else an internal error (no message leaked). */
export function asEmueditError(err: unknown): EmueditError {
  if (err instanceof EmueditError) return err;
  return new EmueditError(Status.Internal, "internal error", { cause: err });
}
