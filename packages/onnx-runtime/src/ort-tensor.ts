// onnxruntime-node Tensor <-> HostTensor. ORT keeps a reference to the typed array we pass and
// hands back typed arrays from session.run, so both directions share memory.
import { Tensor as OrtTensor } from "onnxruntime-node";
import { hostTensor, isDTypeName, TensorDTypeError, type HostTensor, type TensorData } from "@emuedit/tensors";

export function toOrtTensor(h: HostTensor): OrtTensor {
  // ORT's float16 tensors take the raw bits as a Uint16Array, the same representation as ours.
  return new OrtTensor(h.dtype, h.data, h.shape);
}

export function fromOrtTensor(t: OrtTensor, field = "tensor"): HostTensor {
  if (!isDTypeName(t.type)) {
    throw new TensorDTypeError(`${field}: onnxruntime dtype ${t.type} is not supported`);
  }
  if (t.location !== "cpu") {
    throw new TensorDTypeError(`${field}: tensor is on ${t.location}; download it to the cpu first`);
  }
  let data = t.data as TensorData;
  // A runtime with Float16Array may hand float16 data as one; keep our bits representation.
  if (t.type === "float16" && !(data instanceof Uint16Array)) {
    const raw = data as { buffer: ArrayBufferLike; byteOffset: number; length: number };
    data = new Uint16Array(raw.buffer, raw.byteOffset, raw.length);
  }
  return hostTensor(t.type, t.dims, data, field);
}
