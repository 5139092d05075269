// One class per failure kind; all extend ImagingError so callers can catch the family.
// `code` is stable (snake_case) and is what the gateway maps to an HTTP status / gRPC code:
//   invalid_image -> 400, unsupported_image_format -> 415, image_too_large -> 413,
//   empty_image -> 400, the rest are caller bugs or configuration errors (500).

export class ImagingError extends Error {
  override name = "ImagingError";
  readonly code: string = "imaging_error";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Not an image, truncated, or corrupt. */
export class ImageDecodeError extends ImagingError {
  override name = "ImageDecodeError";
  override readonly code = "invalid_image";
}

/** A recognised image format that is not accepted (input) or not producible (output). */
export class ImageFormatError extends ImagingError {
  override name = "ImageFormatError";
  override readonly code = "unsupported_image_format";
  /** The detected or requested format, e.g. "svg", "bmp"; "" when unknown. */
  readonly format: string;
  constructor(message: string, format: string, options?: { cause?: unknown }) {
    super(message, options);
    this.format = format;
  }
}

/** Body over `maxInputBytes`, or declared pixel count over `maxInputPixels` (bomb guard). */
export class ImageTooLargeError extends ImagingError {
  override name = "ImageTooLargeError";
  override readonly code = "image_too_large";
  readonly limitKind: "bytes" | "pixels";
  readonly limit: number;
  /** Observed size in the unit of `limitKind`; undefined when the decoder refused before telling. */
  readonly actual: number | undefined;
  constructor(
    message: string,
    details: { limitKind: "bytes" | "pixels"; limit: number; actual?: number },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.limitKind = details.limitKind;
    this.limit = details.limit;
    this.actual = details.actual;
  }
}

/** Zero-byte body, or an image with a zero width or height. */
export class ImageEmptyError extends ImagingError {
  override name = "ImageEmptyError";
  override readonly code = "empty_image";
}

/** Pixel buffer length disagrees with its stated dimensions, or two images differ in size. */
export class ImageShapeError extends ImagingError {
  override name = "ImageShapeError";
  override readonly code = "image_shape_mismatch";
}

/** Bad size, policy or option argument (non-integer, out of range, ...): a caller bug. */
export class ImageArgumentError extends ImagingError {
  override name = "ImageArgumentError";
  override readonly code = "invalid_image_argument";
}

/** sharp failed to encode (should not happen for valid RGB input). */
export class ImageEncodeError extends ImagingError {
  override name = "ImageEncodeError";
  override readonly code = "encode_failed";
}
