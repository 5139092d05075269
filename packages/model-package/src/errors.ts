// One class per failure kind; all extend ModelPackageError so callers can catch the family.
// Every message starts with the offending file's path and says what is wrong with it, so a
// service that fails to start prints something a person can act on.

import { EmueditError, Status } from "@emuedit/errors";

export class ModelPackageError extends EmueditError {
  override name = "ModelPackageError";
  /** Absolute path of the file (or folder) the problem is in. */
  readonly file: string;
  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(Status.Internal, `${file}: ${problem}`, options);
    this.file = file;
  }
}

/** A required file or folder does not exist (component model, JSON, tokenizer file, external data). */
export class MissingFileError extends ModelPackageError {
  override name = "MissingFileError";
}

/** A JSON file does not parse, or a field has the wrong type or an impossible value. */
export class InvalidJsonError extends ModelPackageError {
  override name = "InvalidJsonError";
}

/** A model.onnx is not a readable ONNX protobuf. */
export class OnnxParseError extends ModelPackageError {
  override name = "OnnxParseError";
}

/** An ONNX graph's inputs/outputs break the contract: missing name, wrong rank, wrong dtype. */
export class OnnxContractError extends ModelPackageError {
  override name = "OnnxContractError";
}

/** Two components disagree (UNet in-channels vs VAE latent channels, hidden dims, task dims...). */
export class ComponentMismatchError extends ModelPackageError {
  override name = "ComponentMismatchError";
}

/** tasks/tasks.json is malformed: ids not 0..T-1, wrong embedding length, duplicate names... */
export class TaskTableError extends ModelPackageError {
  override name = "TaskTableError";
}

/** scheduler_config.json names a scheduler class this project does not implement. */
export class UnknownSchedulerError extends ModelPackageError {
  override name = "UnknownSchedulerError";
}
