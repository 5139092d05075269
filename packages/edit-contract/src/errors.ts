// Failures of an edit, each with the Status it answers with at every edge.
import { EmueditError, Status } from "@emuedit/errors";

/** A request field is out of range or inconsistent with the model. */
export class InvalidEditError extends EmueditError {
  override name = "InvalidEditError";
  constructor(
    readonly field: string,
    problem: string,
    code: string = Status.InvalidArgument,
  ) {
    super(Status.InvalidArgument, `${field}: ${problem}`, { code, details: { field } });
  }
}

/** The request names a task the registry does not know; `known` lists the valid names. */
export class UnknownTaskError extends EmueditError {
  override name = "UnknownTaskError";
  constructor(
    readonly task: string,
    readonly known: readonly string[],
  ) {
    super(Status.InvalidArgument, `unknown task "${task}"; known tasks: ${known.join(", ")}`, {
      code: "unknown_task",
      details: { task, known: [...known] },
    });
  }
}

export interface TaskCandidate {
  readonly task: string;
  readonly confidence: number;
}

/**
 * No task was named and the classifier is not sure enough of any: a wrong edit returned as a
 * success is worse than asking the client to name the task.
 */
export class TaskUnclearError extends EmueditError {
  override name = "TaskUnclearError";
  constructor(
    readonly candidates: readonly TaskCandidate[],
    readonly minConfidence: number,
  ) {
    const best = candidates.map((c) => `${c.task} ${c.confidence.toFixed(2)}`).join(", ");
    super(
      Status.Unprocessable,
      `the instruction does not clearly ask for one task (most likely: ${best}; an edit needs ${minConfidence}): ` +
        `name the task with the "task" field (GET /v1/tasks lists them)`,
      { code: "task_unclear", details: { candidates: candidates.map((c) => ({ ...c })), min_confidence: minConfidence } },
    );
  }
}

/** The caller cancelled the edit or its deadline passed; the loop stopped at a step boundary. */
export class EditAbortedError extends EmueditError {
  override name = "EditAbortedError";
  constructor(
    readonly stepsDone: number,
    options?: { cause?: unknown },
  ) {
    super(Status.Cancelled, `edit aborted after ${stepsDone} steps`, options);
  }
}

/** A model's output does not have the shape the contract promises. */
export class ModelOutputError extends EmueditError {
  override name = "ModelOutputError";
  constructor(message: string) {
    super(Status.Internal, message);
  }
}
