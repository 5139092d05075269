// Public surface of @emuedit/errors: the error base every package's errors extend, and the
// per-wire tables (HTTP status, gRPC code) the edges apply.
export { EmueditError, asEmueditError } from "./emuedit-error.js";
export type { EmueditErrorOptions } from "./emuedit-error.js";
export { Status, HTTP_STATUS, GRPC_CODE, statusFromGrpcCode, isRetryable } from "./status.js";
