// One mapping from domain errors to gRPC statuses for every service. Matching on `name` keeps
// this package free of dependencies on every domain package; each name is an exported error
// class of ours (pipeline, tensors, onnx-runtime, model-package).
import { GrpcError, GrpcStatus } from "@emuedit/proto";

const BY_NAME: Readonly<Record<string, GrpcStatus>> = {
  InvalidEditError: GrpcStatus.INVALID_ARGUMENT,
  UnknownTaskError: GrpcStatus.INVALID_ARGUMENT,
  TensorError: GrpcStatus.INVALID_ARGUMENT,
  TensorDTypeError: GrpcStatus.INVALID_ARGUMENT,
  TensorShapeError: GrpcStatus.INVALID_ARGUMENT,
  TensorByteLengthError: GrpcStatus.INVALID_ARGUMENT,
  InvalidEditIdError: GrpcStatus.INVALID_ARGUMENT,
  UnknownSchedulerError: GrpcStatus.INVALID_ARGUMENT,
  UnsupportedSchedulerError: GrpcStatus.INVALID_ARGUMENT,
  SchedulerConfigError: GrpcStatus.INVALID_ARGUMENT,
  SessionQueueFullError: GrpcStatus.RESOURCE_EXHAUSTED,
  EditAbortedError: GrpcStatus.CANCELLED,
};

export function toGrpcError(err: unknown, signal?: AbortSignal): GrpcError {
  if (err instanceof GrpcError) return err;
  // An abort caused by the call's own deadline/cancel carries that status as its reason.
  if (signal?.aborted && signal.reason instanceof GrpcError) return signal.reason;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = BY_NAME[e.name] ?? GrpcStatus.INTERNAL;
  return new GrpcError(code, e.message, { cause: err });
}
