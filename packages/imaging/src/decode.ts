// decodeImage: untrusted encoded bytes -> 8-bit sRGB RGB pixels, with the gateway's limits.
//
// Order of checks (cheapest first, nothing is decoded before the header is judged):
//   1. empty body -> ImageEmptyError; body > maxInputBytes -> ImageTooLargeError
//   2. header only (sharp.metadata): format recognised and accepted, else ImageFormatError /
//      ImageDecodeError; declared width * height <= maxInputPixels, else ImageTooLargeError
//   3. decode with sharp's own `limitInputPixels` as a second guard, first frame/page only,
//      EXIF orientation applied, alpha flattened onto white, converted to sRGB, 3 x uint8.

import sharp from "sharp";
import type { Metadata } from "sharp";
import { ImageDecodeError, ImageEmptyError, ImageFormatError, ImageTooLargeError } from "./errors.js";
import { sniffKnownFormat } from "./sniff.js";
import { DEFAULT_IMAGE_LIMITS, InputFormat } from "./types.js";
import type { DecodedImage, ImageLimits } from "./types.js";

/** Transparent pixels are composited onto this colour (the model never sees alpha). */
export const FLATTEN_BACKGROUND = { r: 255, g: 255, b: 255 } as const;

// libvips is strict about real errors (truncation, corrupt data) but tolerant of warnings
// (e.g. extraneous bytes after a JPEG's end) that browsers accept too.
const FAIL_ON = "error" as const;

export async function decodeImage(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<DecodedImage> {
  // 1. Body size.
  if (bytes.length === 0) throw new ImageEmptyError("image body is empty (0 bytes)");
  if (bytes.length > limits.maxInputBytes) {
    throw new ImageTooLargeError(
      `image body is ${bytes.length} bytes, the limit is ${limits.maxInputBytes}`,
      { limitKind: "bytes", limit: limits.maxInputBytes, actual: bytes.length },
    );
  }

  // 2. Header.
  const meta = await readHeader(bytes);
  const format = inputFormatOf(meta);
  const accepted = limits.formats ?? DEFAULT_IMAGE_LIMITS.formats ?? [];
  if (format === undefined || !accepted.includes(format)) {
    const name = format ?? String(meta.format);
    throw new ImageFormatError(
      `image format "${name}" is not accepted (accepted: ${accepted.join(", ")})`,
      name,
    );
  }
  const width = meta.width ?? 0;
  // Multi-frame GIF/WebP/TIFF: only the first frame is decoded, so only it counts.
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width < 1 || height < 1) throw new ImageEmptyError(`image declares a ${width}x${height} size`);
  if (width * height > limits.maxInputPixels) {
    throw new ImageTooLargeError(
      `image is ${width}x${height} = ${width * height} pixels, the limit is ${limits.maxInputPixels}`,
      { limitKind: "pixels", limit: limits.maxInputPixels, actual: width * height },
    );
  }

  // 3. Decode.
  try {
    const { data, info } = await sharp(bytes, {
      failOn: FAIL_ON,
      limitInputPixels: limits.maxInputPixels,
      pages: 1,
      page: 0,
    })
      .rotate() // no angle: apply EXIF orientation, then drop the tag
      .flatten({ background: FLATTEN_BACKGROUND })
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      throw new ImageDecodeError(
        `decoder produced ${info.channels} channels / ${data.length} bytes for ${info.width}x${info.height}`,
      );
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, format };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    throw mapSharpError(err, limits);
  }
}

async function readHeader(bytes: Uint8Array): Promise<Metadata> {
  try {
    // Header only: no pixel limit here, so the size check below can report the real size.
    return await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
  } catch (err) {
    const message = errorMessage(err);
    if (/unsupported image format/i.test(message)) {
      const known = sniffKnownFormat(bytes);
      if (known !== undefined) {
        throw new ImageFormatError(`image format "${known}" is not supported`, known, { cause: err });
      }
      throw new ImageDecodeError("body is not a recognised image", { cause: err });
    }
    throw new ImageDecodeError(`image header is corrupt: ${firstLine(message)}`, { cause: err });
  }
}

/** Maps sharp's container name to ours; AVIF is "heif" with AV1 compression in sharp. */
function inputFormatOf(meta: Metadata): InputFormat | undefined {
  switch (meta.format) {
    case "png":
      return InputFormat.png;
    case "jpeg":
      return InputFormat.jpeg;
    case "webp":
      return InputFormat.webp;
    case "gif":
      return InputFormat.gif;
    case "tiff":
      return InputFormat.tiff;
    case "heif":
      return meta.compression === "av1" ? InputFormat.avif : undefined;
    default:
      return undefined;
  }
}

function mapSharpError(err: unknown, limits: ImageLimits): Error {
  const message = errorMessage(err);
  if (/exceeds pixel limit/i.test(message)) {
    return new ImageTooLargeError(`image exceeds the pixel limit of ${limits.maxInputPixels}`, {
      limitKind: "pixels",
      limit: limits.maxInputPixels,
    }, { cause: err });
  }
  return new ImageDecodeError(`image data is truncated or corrupt: ${firstLine(message)}`, { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function firstLine(s: string): string {
  return s.split("\n", 1)[0] ?? s;
}
