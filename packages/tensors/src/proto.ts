// protobuf Tensor <-> HostTensor. Byte order on the wire is little-endian (tensor.proto).
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Tensor, TensorSchema } from "@emuedit/proto";
import { viewBytesAs, bytesOf } from "./bytes.js";
import { dtypeFromProto, dtypeToProto, DTYPES, type DTypeName } from "./dtypes.js";
import { TensorByteLengthError, TensorDTypeError } from "./errors.js";
import type { HostTensor } from "./host-tensor.js";
import { checkExpectedShape, checkShape, formatShape, shapeSize } from "./shape.js";

export interface TensorExpectation {
  dtype?: DTypeName;
  /** Expected dims; null matches any size. The rank must match. */
  shape?: (number | null)[];
  /** Field name used in error messages, e.g. "image_latent". */
  name?: string;
}

/**
 * Validates a received Tensor and views its bytes as a typed array: no copy when the bytes are
 * aligned for the dtype, one copy otherwise. The result shares memory with the message.
 */
export function tensorFromProto(t: Tensor, expect: TensorExpectation = {}): HostTensor {
  const field = expect.name ?? "tensor";
  const dtype = dtypeFromProto(t.dtype, field);
  if (expect.dtype !== undefined && expect.dtype !== dtype) {
    throw new TensorDTypeError(`${field}: expected dtype ${expect.dtype}, got ${dtype}`);
  }
  const shape = [...t.shape];
  checkShape(shape, field);
  if (expect.shape !== undefined) checkExpectedShape(shape, expect.shape, field);
  const length = shapeSize(shape);
  const byteLength = length * DTYPES[dtype].itemSize;
  if (t.data.byteLength !== byteLength) {
    throw new TensorByteLengthError(
      `${field}: ${dtype} ${formatShape(shape)} needs ${byteLength} bytes, data has ${t.data.byteLength}`,
    );
  }
  return { dtype, shape, data: viewBytesAs(dtype, t.data, length) };
}

/** HostTensor -> Tensor init; `data` is a view of h.data's bytes (no copy). */
export function tensorToProto(h: HostTensor): MessageInitShape<typeof TensorSchema> {
  return { dtype: dtypeToProto(h.dtype), shape: [...h.shape], data: bytesOf(h.data) };
}
