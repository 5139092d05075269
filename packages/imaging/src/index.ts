// Public surface of @emuedit/imaging: image I/O for the gateway and the in-process pipeline.

export {
  ImagingError,
  ImageDecodeError,
  ImageFormatError,
  ImageTooLargeError,
  ImageEmptyError,
  ImageShapeError,
  ImageArgumentError,
  ImageEncodeError,
} from "./errors.js";

export { InputFormat, OutputFormat, OUTPUT_MIME_TYPES, DEFAULT_IMAGE_LIMITS, assertRgbImage } from "./types.js";
export type { RgbImage, DecodedImage, ImageLimits } from "./types.js";

export { decodeImage, FLATTEN_BACKGROUND } from "./decode.js";

export { planResize } from "./resize-plan.js";
export type { Size, ResizePolicy } from "./resize-plan.js";

export { resizeRgb } from "./resize.js";
export type { ResizeKernel, ResizeOptions } from "./resize.js";

export { encodeImage, parseOutputFormat, isOutputFormat, DEFAULT_QUALITY } from "./encode.js";
export type { EncodeOptions, EncodedImage } from "./encode.js";

export {
  rgbToNchw,
  nchwToRgb,
  rgbBatchToNchw,
  nchwToRgbBatch,
  nhwcToNchw,
  nchwToNhwc,
  unitToU8,
} from "./tensor-layout.js";
export type { BatchShape } from "./tensor-layout.js";

export {
  thresholdComposite,
  differenceMap,
  boxBlur,
  DEFAULT_THRESHOLD_ALPHA,
  DEFAULT_BLUR_RADIUS_PX,
} from "./threshold-composite.js";
export type { ThresholdOptions } from "./threshold-composite.js";
