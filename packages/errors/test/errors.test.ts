import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { asEmueditError, EmueditError, GRPC_CODE, HTTP_STATUS, isRetryable, Status, statusFromGrpcCode } from "../src/index.js";

describe("errors", () => {
  test("errors - every status has an HTTP and a gRPC mapping", () => {
    for (const status of Object.values(Status)) {
      assert.ok(HTTP_STATUS[status] >= 400 && HTTP_STATUS[status] < 600, status);
      assert.ok(Number.isInteger(GRPC_CODE[status]) && GRPC_CODE[status] > 0, status);
    }
  });

  test("errors - a status sent over gRPC reads back as itself where gRPC can tell them apart", () => {
    for (const status of [Status.InvalidArgument, Status.Unprocessable, Status.Unauthenticated, Status.PermissionDenied, Status.NotFound, Status.Cancelled, Status.DeadlineExceeded, Status.Unavailable, Status.ResourceExhausted, Status.Internal]) {
      assert.equal(statusFromGrpcCode(GRPC_CODE[status]), status);
    }
    assert.equal(statusFromGrpcCode(2), Status.Internal, "UNKNOWN");
  });

  test("errors - the public code defaults to the status, details and Retry-After travel along", () => {
    const e = new EmueditError(Status.Unavailable, "unet down", { retryAfterS: 5 });
    assert.equal(e.code, "unavailable");
    assert.equal(e.retryAfterS, 5);
    assert.ok(isRetryable(e.status));
    const named = new EmueditError(Status.InvalidArgument, "image: empty", { code: "empty_image", details: { field: "image" } });
    assert.equal(named.code, "empty_image");
    assert.deepEqual(named.details, { field: "image" });
    assert.ok(!isRetryable(named.status));
  });

  test("errors - anything else is internal, and its message is not shown", () => {
    const e = asEmueditError(new TypeError("secret path /home/x"));
    assert.equal(e.status, Status.Internal);
    assert.equal(e.message, "internal error");
    assert.ok(e.cause instanceof TypeError);
    const own = new EmueditError(Status.NotFound, "no route");
    assert.equal(asEmueditError(own), own);
  });
});
