// The working-size policy: which WxH the model sees for an input of a given size.
//
//   R = min(resolution, maxSide)           (model's native size, capped by the operator)
//   f = multipleOf                         (the VAE's pixels per latent cell, e.g. 8)
//   long  = max(f, floor(R / f) * f)       (the longer side becomes R, never more)
//   short = clamp(round(short_in * long / long_in / f) * f, f, long)
//
// Aspect ratio is kept up to the rounding of the short side to a multiple of f; inputs are
// downscaled or upscaled alike; no padding or cropping (the resize stretches by at most
// f/2 pixels on the short side). Square models (like the default one) do best on square inputs.

import { ImageEmptyError, ImageArgumentError } from "./errors.js";

export interface Size {
  readonly width: number;
  readonly height: number;
}

export interface ResizePolicy {
  /** The model package's native resolution R (emuedit.json `resolution`), pixels. */
  readonly resolution: number;
  /** Both sides become multiples of this (the VAE scale factor f), pixels. */
  readonly multipleOf: number;
  /** Operator cap on the longer working side, pixels (e.g. to bound latency); default: none. */
  readonly maxSide?: number;
}

export function planResize(input: Size, policy: ResizePolicy): Size {
  const { width, height } = input;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new ImageArgumentError(`input size must be non-negative integers, got ${width}x${height}`);
  }
  if (width === 0 || height === 0) throw new ImageEmptyError(`input size is ${width}x${height}`);
  const f = policy.multipleOf;
  requirePositiveInteger("multipleOf", f);
  requirePositiveInteger("resolution", policy.resolution);
  if (policy.maxSide !== undefined) requirePositiveInteger("maxSide", policy.maxSide);

  const target = Math.min(policy.resolution, policy.maxSide ?? Number.POSITIVE_INFINITY);
  const long = Math.max(f, Math.floor(target / f) * f);
  const longIn = Math.max(width, height);
  const shortIn = Math.min(width, height);
  const short = Math.min(long, Math.max(f, Math.round((shortIn * long) / longIn / f) * f));
  return width >= height ? { width: long, height: short } : { width: short, height: long };
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new ImageArgumentError(`resize policy: ${name} must be a positive integer, got ${value}`);
  }
}
