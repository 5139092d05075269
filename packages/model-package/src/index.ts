// Public surface of @emuedit/model-package: load and check a model package folder
// (docs/model-package.md), and read ONNX graph I/O without loading weights.
export { loadModelPackage, KNOWN_SCHEDULERS } from "./load-model-package.js";
export { fixedImageSize } from "./image-size.js";
export { DIFFUSERS_DEFAULTS } from "./package-settings.js";
export { readOnnxMetadata } from "./onnx-metadata.js";
export type { OnnxDim, OnnxValueInfo, OnnxMetadata } from "./onnx-metadata.js";
export { PackageKind, TaskGroup } from "./types.js";
export type {
  ModelPackage,
  LoadModelPackageOptions,
  OnnxComponent,
  TextEncoderComponent,
  UnetComponent,
  VaeEncoderComponent,
  VaeDecoderComponent,
  TaskClassifierComponent,
  TaskEntry,
  TokenizerFiles,
} from "./types.js";
export {
  ModelPackageError,
  MissingFileError,
  InvalidJsonError,
  OnnxParseError,
  OnnxContractError,
  ComponentMismatchError,
  TaskTableError,
  UnknownSchedulerError,
} from "./errors.js";
