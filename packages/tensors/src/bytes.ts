// Reinterpreting raw little-endian bytes as typed arrays: a view when the offset is aligned,
// one copy when it is not (protobuf `bytes` fields are subarrays of the received message, so
// their byteOffset is arbitrary).
import { DTYPES, type DTypeName, type TensorData } from "./dtypes.js";

// Wire format is little-endian; typed arrays use the host's order. Every platform we run on
// (x86-64, arm64) is little-endian; refuse to silently produce garbage elsewhere.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
if (!HOST_IS_LITTLE_ENDIAN) throw new Error("@emuedit/tensors requires a little-endian host");

/** `bytes.byteLength` must already equal length * itemSize (checked by the caller). */
export function viewBytesAs(dtype: DTypeName, bytes: Uint8Array, length: number): TensorData {
  const { itemSize, arrayType } = DTYPES[dtype];
  if (bytes.byteOffset % itemSize === 0) return new arrayType(bytes.buffer, bytes.byteOffset, length);
  // A fresh ArrayBuffer at offset 0 is aligned for every dtype. Not bytes.slice(): on a Node
  // Buffer (what grpc-js and NATS hand us) slice() returns a view, not a copy.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new arrayType(copy.buffer, 0, length);
}

/** The bytes of a typed array, without copying. */
export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
