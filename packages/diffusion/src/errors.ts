/**
 * Every failure this package raises. One class per failure kind; all extend DiffusionError so a
 * caller can catch the package as a whole. `cause` carries the underlying error where there is one.
 * Internal unless a request chose the thing at fault (a scheduler override, a seed).
 */
import { EmueditError, Status } from "@emuedit/errors";

export class DiffusionError extends EmueditError {
  override name = "DiffusionError";
  constructor(message: string, options?: { cause?: unknown }, status: Status = Status.Internal) {
    super(status, message, options);
  }
}

/** `_class_name` (or the override) names a scheduler this package does not implement. */
export class UnsupportedSchedulerError extends DiffusionError {
  override name = "UnsupportedSchedulerError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument);
  }
}

/** A scheduler_config.json value is invalid or selects a feature this package does not implement. */
export class SchedulerConfigError extends DiffusionError {
  override name = "SchedulerConfigError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument);
  }
}

/**
 * The scheduler was used out of order: step before setTimesteps, a timestep that is not
 * `timesteps[stepIndex]`, a step index outside the schedule, or a restored state that does not fit.
 */
export class SchedulerStateError extends DiffusionError {
  override name = "SchedulerStateError";
}

/** Two tensors that must agree in length (or shape) do not. */
export class ShapeMismatchError extends DiffusionError {
  override name = "ShapeMismatchError";
}

/** Latent channels + image-latent channels differ from the UNet's `sample` input channels. */
export class UnetChannelMismatchError extends DiffusionError {
  override name = "UnetChannelMismatchError";
}

/** An argument is outside its domain (a seed that is not a uint32, a negative length, ...). */
export class InvalidArgumentError extends DiffusionError {
  override name = "InvalidArgumentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument);
  }
}
