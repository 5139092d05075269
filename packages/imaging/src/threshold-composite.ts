// Emu Edit's multi-turn post-process (Sheynin et al. 2023, "per-pixel thresholding"):
// regions the edit did not mean to touch drift a little each turn through the VAE; snapping
// them back to the input stops the drift from accumulating over turns.
//
//   d(p)    = (|dR| + |dG| + |dB|) / (3 * 255)      per-pixel L1 distance, mean over the
//                                                   channels, in [0,1] units
//   d~      = box_blur(d, radius = blurRadiusPx)    low-pass (edges: clamp to border)
//   out(p)  = d~(p) < alpha ? input(p) : edited(p)
//
// The box filter is separable ((2r+1) taps per axis); radius 0 disables the blur.

import { ImageShapeError, ImageArgumentError } from "./errors.js";
import { assertRgbImage } from "./types.js";
import type { RgbImage } from "./types.js";

export interface ThresholdOptions {
  /** Threshold on the blurred mean L1 distance, in [0,1] units; Emu Edit uses 0.03. */
  readonly alpha?: number;
  /** Box blur radius in pixels (window 2r+1); 0 = no blur. Default 1. */
  readonly blurRadiusPx?: number;
}

export const DEFAULT_THRESHOLD_ALPHA = 0.03;
export const DEFAULT_BLUR_RADIUS_PX = 1;

/** Keeps `input` where the edit barely changed it, else `edited`. Images must share a size. */
export function thresholdComposite(
  input: RgbImage,
  edited: RgbImage,
  options: ThresholdOptions = {},
): RgbImage {
  assertRgbImage(input, "input");
  assertRgbImage(edited, "edited");
  if (input.width !== edited.width || input.height !== edited.height) {
    throw new ImageShapeError(
      `thresholdComposite: input is ${input.width}x${input.height}, edited is ${edited.width}x${edited.height}`,
    );
  }
  const alpha = options.alpha ?? DEFAULT_THRESHOLD_ALPHA;
  const radius = options.blurRadiusPx ?? DEFAULT_BLUR_RADIUS_PX;
  if (!Number.isFinite(alpha) || alpha < 0) {
    throw new ImageArgumentError(`alpha must be a finite number >= 0, got ${alpha}`);
  }
  if (!Number.isInteger(radius) || radius < 0) {
    throw new ImageArgumentError(`blurRadiusPx must be a non-negative integer, got ${radius}`);
  }
  const diff = boxBlur(differenceMap(input, edited), input.width, input.height, radius);
  const out = new Uint8Array(edited.data);
  for (let p = 0; p < diff.length; p++) {
    if (diff[p]! < alpha) {
      out[p * 3] = input.data[p * 3]!;
      out[p * 3 + 1] = input.data[p * 3 + 1]!;
      out[p * 3 + 2] = input.data[p * 3 + 2]!;
    }
  }
  return { width: input.width, height: input.height, data: out };
}

/** [H,W] float32: mean absolute channel difference in [0,1] units. */
export function differenceMap(a: RgbImage, b: RgbImage): Float32Array {
  const out = new Float32Array(a.width * a.height);
  for (let p = 0; p < out.length; p++) {
    const i = p * 3;
    const sum =
      Math.abs(a.data[i]! - b.data[i]!) +
      Math.abs(a.data[i + 1]! - b.data[i + 1]!) +
      Math.abs(a.data[i + 2]! - b.data[i + 2]!);
    out[p] = sum / (3 * 255);
  }
  return out;
}

/** Separable box blur of an [H,W] map with clamp-to-edge borders. */
export function boxBlur(map: Float32Array, width: number, height: number, radius: number): Float32Array {
  if (radius === 0) return map;
  const taps = 2 * radius + 1;
  const tmp = new Float32Array(map.length);
  const out = new Float32Array(map.length);
  const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += map[row + clamp(x + k, width - 1)]!;
      tmp[row + x] = s / taps;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += tmp[clamp(y + k, height - 1) * width + x]!;
      out[y * width + x] = s / taps;
    }
  }
  return out;
}
