// Public surface of @emuedit/tensors: protobuf Tensor <-> HostTensor (onnxruntime tensors: @emuedit/onnx-runtime).
export type { DTypeName, TensorData } from "./dtypes.js";
export { DTYPE_NAMES, isDTypeName, itemSize, dtypeFromProto, dtypeToProto } from "./dtypes.js";
export type { HostTensor } from "./host-tensor.js";
export { hostTensor, float32Tensor } from "./host-tensor.js";
export type { TensorExpectation } from "./proto.js";
export { tensorFromProto, tensorToProto } from "./proto.js";
export { float16ToFloat32, float32ToFloat16 } from "./float16.js";
export { shapeSize, formatShape } from "./shape.js";
export { TensorError, TensorDTypeError, TensorShapeError, TensorByteLengthError } from "./errors.js";
