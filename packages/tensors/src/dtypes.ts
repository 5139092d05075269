// Element types we carry on the wire, and their typed-array / protobuf / onnxruntime names.
import { DType } from "@emuedit/proto";
import { TensorDTypeError } from "./errors.js";

export type DTypeName = "float32" | "float16" | "int32" | "int64" | "uint8";

/** float16 travels as its raw IEEE 754 binary16 bits (Node 20 has no Float16Array). */
export type TensorData = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

interface DTypeInfo {
  readonly proto: DType;
  /** Bytes per element; also the alignment a typed-array view needs. */
  readonly itemSize: number;
  readonly arrayType: new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;
  readonly allocate: (length: number) => TensorData;
}

export const DTYPES: Readonly<Record<DTypeName, DTypeInfo>> = {
  float32: { proto: DType.DTYPE_FLOAT32, itemSize: 4, arrayType: Float32Array, allocate: (n) => new Float32Array(n) },
  float16: { proto: DType.DTYPE_FLOAT16, itemSize: 2, arrayType: Uint16Array, allocate: (n) => new Uint16Array(n) },
  int32: { proto: DType.DTYPE_INT32, itemSize: 4, arrayType: Int32Array, allocate: (n) => new Int32Array(n) },
  int64: { proto: DType.DTYPE_INT64, itemSize: 8, arrayType: BigInt64Array, allocate: (n) => new BigInt64Array(n) },
  uint8: { proto: DType.DTYPE_UINT8, itemSize: 1, arrayType: Uint8Array, allocate: (n) => new Uint8Array(n) },
};

export const DTYPE_NAMES = Object.keys(DTYPES) as DTypeName[];

export function isDTypeName(name: string): name is DTypeName {
  return Object.hasOwn(DTYPES, name);
}

export function itemSize(dtype: DTypeName): number {
  return DTYPES[dtype].itemSize;
}

/** protobuf enum -> name; throws TensorDTypeError for UNSPECIFIED or values this build doesn't know. */
export function dtypeFromProto(dtype: DType, field = "tensor"): DTypeName {
  for (const name of DTYPE_NAMES) {
    if (DTYPES[name].proto === dtype) return name;
  }
  const label = DType[dtype] ?? String(dtype);
  throw new TensorDTypeError(`${field}: dtype ${label} is not supported (expected one of ${DTYPE_NAMES.join(", ")})`);
}

export function dtypeToProto(dtype: DTypeName): DType {
  return DTYPES[dtype].proto;
}

/** True when `data` is the typed array that holds `dtype` elements. */
export function matchesDType(dtype: DTypeName, data: TensorData): boolean {
  return data instanceof DTYPES[dtype].arrayType;
}
