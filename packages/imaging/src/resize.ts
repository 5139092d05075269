// Resampling of RGB pixel buffers with sharp (libvips). Lanczos-3 by default: sharp's own
// default, sharp when downscaling and the least blurry when upscaling back to the input size.

import sharp from "sharp";
import type { KernelEnum } from "sharp";
import { ImageArgumentError, ImageShapeError } from "./errors.js";
import { assertRgbImage } from "./types.js";
import type { RgbImage } from "./types.js";

export type ResizeKernel = keyof KernelEnum;

export interface ResizeOptions {
  /** Default "lanczos3". */
  readonly kernel?: ResizeKernel;
}

/**
 * Resizes to exactly width x height (`fit: "fill"`: aspect is the caller's business, see
 * planResize). Returns `img` itself when the size already matches.
 */
export async function resizeRgb(
  img: RgbImage,
  width: number,
  height: number,
  options: ResizeOptions = {},
): Promise<RgbImage> {
  assertRgbImage(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ImageArgumentError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (width === img.width && height === img.height) return img;
  const { data, info } = await rawSharp(img)
    .resize(width, height, { fit: "fill", kernel: options.kernel ?? "lanczos3" })
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3) {
    throw new ImageShapeError(
      `resize produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`,
    );
  }
  return { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A sharp pipeline reading `img`'s raw pixels (tagged sRGB). */
export function rawSharp(img: RgbImage): sharp.Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}
