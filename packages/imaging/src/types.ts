// Shared image types. Pixels are always 8-bit sRGB, 3 channels, row-major HWC:
// data[(y * width + x) * 3 + c], c = 0 red, 1 green, 2 blue.

import { ImageShapeError } from "./errors.js";

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** [H,W,3] uint8, length width * height * 3. */
  readonly data: Uint8Array;
}

/** Input formats this package can decode (the accepted set is narrowed by ImageLimits.formats). */
export const InputFormat = {
  png: "png",
  jpeg: "jpeg",
  webp: "webp",
  gif: "gif",
  tiff: "tiff",
  avif: "avif",
} as const;
export type InputFormat = (typeof InputFormat)[keyof typeof InputFormat];

/** Output formats of encodeImage, with their MIME types. */
export const OutputFormat = { png: "png", jpeg: "jpeg", webp: "webp" } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

export const OUTPUT_MIME_TYPES: Readonly<Record<OutputFormat, string>> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
};

export interface DecodedImage extends RgbImage {
  /** Container format of the input bytes. */
  readonly format: InputFormat;
}

export interface ImageLimits {
  /** Largest accepted encoded body, bytes. */
  readonly maxInputBytes: number;
  /** Largest accepted width * height (of the first frame) as declared by the header. */
  readonly maxInputPixels: number;
  /** Accepted input formats; default: all of InputFormat. */
  readonly formats?: readonly InputFormat[];
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = {
  maxInputBytes: 20 * 1024 * 1024,
  maxInputPixels: 25_000_000,
  formats: Object.values(InputFormat),
};

/** Throws ImageShapeError unless `img` is a well-formed RgbImage. */
export function assertRgbImage(img: RgbImage, what = "image"): void {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageShapeError(`${what}: width and height must be positive integers, got ${width}x${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new ImageShapeError(
      `${what}: ${width}x${height} RGB needs ${width * height * 3} bytes, got ${data.length}`,
    );
  }
}
