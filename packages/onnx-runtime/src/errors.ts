// One class per failure kind; all extend SessionError. Messages start with the pool's name
// (the model, e.g. "unet") so a service log line says which model failed.
import { EmueditError, Status } from "@emuedit/errors";

export class SessionError extends EmueditError {
  override name = "SessionError";
  constructor(message: string, options?: { cause?: unknown }, status: Status = Status.Internal) {
    super(status, message, options);
  }
}

/** A worker could not load the model or its warm-up inference failed; the pool did not start. */
export class SessionLoadError extends SessionError {
  override name = "SessionLoadError";
}

/**
 * A session was asked for an execution provider (e.g. cuda) that this onnxruntime-node cannot
 * load: its provider libraries are not installed, or the device's drivers are missing.
 */
export class ExecutionProviderError extends SessionLoadError {
  override name = "ExecutionProviderError";
}

/** Feeds do not match the model's inputs, or onnxruntime rejected the run. */
export class SessionRunError extends SessionError {
  override name = "SessionRunError";
}

/** The worker running this request died (crash, out of memory, terminated); it is replaced. */
export class SessionWorkerError extends SessionError {
  override name = "SessionWorkerError";
}

/** `maxQueue` requests are already waiting; the caller should shed load or retry later. */
export class SessionQueueFullError extends SessionError {
  override name = "SessionQueueFullError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.ResourceExhausted);
  }
}

/** run() after close() started. */
export class SessionClosedError extends SessionError {
  override name = "SessionClosedError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.Unavailable);
  }
}
