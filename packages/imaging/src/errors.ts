// One class per failure kind; all extend ImagingError so callers can catch the family. Each
// carries its Status and a stable public code: invalid_image, unsupported_image_format and
// empty_image are the client's to fix (400), image_too_large is 413, the rest are caller bugs
// or configuration errors (500).
import { EmueditError, Status } from "@emuedit/errors";

export class ImagingError extends EmueditError {
  override name = "ImagingError";
  constructor(message: string, options?: { cause?: unknown }, status: Status = Status.Internal, code = "imaging_error") {
    super(status, message, { ...options, code });
  }
}

/** Not an image, truncated, or corrupt. */
export class ImageDecodeError extends ImagingError {
  override name = "ImageDecodeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument, "invalid_image");
  }
}

/** A recognised image format that is not accepted (input) or not producible (output). */
export class ImageFormatError extends ImagingError {
  override name = "ImageFormatError";
  /** The detected or requested format, e.g. "svg", "bmp"; "" when unknown. */
  readonly format: string;
  constructor(message: string, format: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument, "unsupported_image_format");
    this.format = format;
  }
}

/** Body over `maxInputBytes`, or declared pixel count over `maxInputPixels` (bomb guard). */
export class ImageTooLargeError extends ImagingError {
  override name = "ImageTooLargeError";
  readonly limitKind: "bytes" | "pixels";
  readonly limit: number;
  /** Observed size in the unit of `limitKind`; undefined when the decoder refused before telling. */
  readonly actual: number | undefined;
  constructor(
    message: string,
    details: { limitKind: "bytes" | "pixels"; limit: number; actual?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options, Status.PayloadTooLarge, "image_too_large");
    this.limitKind = details.limitKind;
    this.limit = details.limit;
    this.actual = details.actual;
  }
}

/** Zero-byte body, or an image with a zero width or height. */
export class ImageEmptyError extends ImagingError {
  override name = "ImageEmptyError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.InvalidArgument, "empty_image");
  }
}

/** Pixel buffer length disagrees with its stated dimensions, or two images differ in size. */
export class ImageShapeError extends ImagingError {
  override name = "ImageShapeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.Internal, "image_shape_mismatch");
  }
}

/** Bad size, policy or option argument (non-integer, out of range, ...): a caller bug. */
export class ImageArgumentError extends ImagingError {
  override name = "ImageArgumentError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.Internal, "invalid_image_argument");
  }
}

/** sharp failed to encode (should not happen for valid RGB input). */
export class ImageEncodeError extends ImagingError {
  override name = "ImageEncodeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, Status.Internal, "encode_failed");
  }
}
