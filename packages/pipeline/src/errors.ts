// Failures of an edit that callers map to user-facing statuses (gateway: HTTP 4xx/5xx,
// services: gRPC codes). One class per failure, `name` set, `cause` attached.

export class PipelineError extends Error {
  override name = "PipelineError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The request names a task the registry does not know; `known` lists the valid names. */
export class UnknownTaskError extends PipelineError {
  override name = "UnknownTaskError";
  constructor(
    readonly task: string,
    readonly known: readonly string[],
  ) {
    super(`unknown task "${task}"; known tasks: ${known.join(", ")}`);
  }
}

/** A request field is out of range or inconsistent with the model. */
export class InvalidEditError extends PipelineError {
  override name = "InvalidEditError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The caller cancelled the edit or its deadline passed; the loop stopped at a step boundary. */
export class EditAbortedError extends PipelineError {
  override name = "EditAbortedError";
  constructor(
    readonly stepsDone: number,
    options?: { cause?: unknown },
  ) {
    super(`edit aborted after ${stepsDone} steps`, options);
  }
}

/** A model's output does not have the shape the contract promises. */
export class ModelOutputError extends PipelineError {
  override name = "ModelOutputError";
}
