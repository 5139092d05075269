// One class per failure kind; all extend TensorError so callers can catch the family.
// Messages name the offending field (e.g. "image_latent") so the INVALID_ARGUMENT a service
// answers with is actionable.
import { EmueditError, Status } from "@emuedit/errors";

export class TensorError extends EmueditError {
  override name = "TensorError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(Status.InvalidArgument, message, options);
  }
}

/** Unknown/unsupported element type, or not the one the caller expects. */
export class TensorDTypeError extends TensorError {
  override name = "TensorDTypeError";
}

/** Shape not what the caller expects, or element count not matching the shape. */
export class TensorShapeError extends TensorError {
  override name = "TensorShapeError";
}

/** Raw byte length != product(shape) * item size. */
export class TensorByteLengthError extends TensorError {
  override name = "TensorByteLengthError";
}
