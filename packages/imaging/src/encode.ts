// encodeImage: RGB pixels -> PNG / JPEG / WebP bytes for the reply. No metadata is written
// (sharp strips it by default), so nothing about the input (EXIF, GPS) leaks into the output.
//
// Reply size policy (the gateway's default): the edit is returned at the input's original
// (EXIF-oriented) size, resized back from the working size with Lanczos-3 via `resizeTo`;
// a request may ask for the working size instead, in which case `resizeTo` is omitted.

import { ImageArgumentError, ImageEncodeError, ImageFormatError } from "./errors.js";
import { rawSharp, resizeRgb } from "./resize.js";
import { OUTPUT_MIME_TYPES, OutputFormat, assertRgbImage } from "./types.js";
import type { Size } from "./resize-plan.js";
import type { RgbImage } from "./types.js";

/** JPEG and WebP quality when none is given (1-100). */
export const DEFAULT_QUALITY = 90;

export interface EncodeOptions {
  /** 1-100, JPEG and WebP only; default DEFAULT_QUALITY. PNG is lossless (zlib level 6). */
  readonly quality?: number;
  /** Resize (Lanczos-3, exact size) before encoding; default: encode at the image's size. */
  readonly resizeTo?: Size;
}

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
}

export function isOutputFormat(value: string): value is OutputFormat {
  return Object.hasOwn(OutputFormat, value);
}

/** "" means the default, "png"; anything else unknown is an ImageFormatError. */
export function parseOutputFormat(value: string): OutputFormat {
  const v = value.trim().toLowerCase();
  if (v === "") return OutputFormat.png;
  if (v === "jpg") return OutputFormat.jpeg;
  if (isOutputFormat(v)) return v;
  throw new ImageFormatError(`output format "${value}" is not one of png, jpeg, webp`, value);
}

export async function encodeImage(
  rgb: RgbImage,
  format: OutputFormat,
  options: EncodeOptions = {},
): Promise<EncodedImage> {
  assertRgbImage(rgb);
  if (!isOutputFormat(format)) {
    throw new ImageFormatError(`output format "${String(format)}" is not one of png, jpeg, webp`, String(format));
  }
  const quality = options.quality ?? DEFAULT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new ImageArgumentError(`quality must be an integer in 1..100, got ${quality}`);
  }
  const img = options.resizeTo
    ? await resizeRgb(rgb, options.resizeTo.width, options.resizeTo.height)
    : rgb;
  const pipeline = rawSharp(img);
  switch (format) {
    case "png":
      pipeline.png({ compressionLevel: 6 });
      break;
    case "jpeg":
      pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? "4:4:4" : "4:2:0" });
      break;
    case "webp":
      pipeline.webp({ quality });
      break;
  }
  try {
    const bytes = await pipeline.toBuffer();
    return { bytes, mimeType: OUTPUT_MIME_TYPES[format], width: img.width, height: img.height };
  } catch (err) {
    throw new ImageEncodeError(`encoding ${format} failed`, { cause: err });
  }
}
