// HostTensor: a dense row-major tensor in host memory, the common currency between protobuf
// Tensors, onnxruntime tensors and the math packages.
import { DTYPES, isDTypeName, matchesDType, type DTypeName, type TensorData } from "./dtypes.js";
import { TensorDTypeError, TensorShapeError } from "./errors.js";
import { checkShape, formatShape, shapeSize } from "./shape.js";

export interface HostTensor {
  dtype: DTypeName;
  shape: number[];
  /** float16 holds the raw binary16 bits. data.length === shapeSize(shape). */
  data: TensorData;
}

/** Checks that `data` is the right typed array for `dtype` and has product(shape) elements. No copy. */
export function hostTensor(dtype: DTypeName, shape: readonly number[], data: TensorData, field = "tensor"): HostTensor {
  if (!isDTypeName(dtype)) throw new TensorDTypeError(`${field}: unknown dtype ${String(dtype)}`);
  if (!matchesDType(dtype, data)) {
    throw new TensorDTypeError(
      `${field}: dtype ${dtype} needs a ${DTYPES[dtype].arrayType.name}, got a ${data.constructor.name}`,
    );
  }
  checkShape(shape, field);
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new TensorShapeError(`${field}: shape ${formatShape(shape)} needs ${size} elements, data has ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

/** A float32 tensor over `data`, or zero-filled when `data` is omitted. */
export function float32Tensor(shape: readonly number[], data?: Float32Array): HostTensor {
  checkShape(shape);
  return hostTensor("float32", shape, data ?? new Float32Array(shapeSize(shape)));
}
