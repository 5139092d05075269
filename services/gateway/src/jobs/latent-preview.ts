// Cheap previews of a denoising latent: a fixed linear map from the C latent channels to RGB
// (the "latent RGB factors" approach), upscaled to a small image and PNG-encoded. No VAE call:
// a preview costs a few microseconds of arithmetic and one small PNG encode.
//
// The factors come from the model package's optional latent_rgb_factors.json, fitted by least
// squares against the package's own VAE decoder (scripts/latent-rgb-factors.ts writes it;
// docs/model-package.md). Without the file: Stable Diffusion 1.x's widely used factors for a
// 4-channel latent, else the channel mean as grey.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { encodeImage } from "@emuedit/imaging";
import type { HostTensor } from "@emuedit/tensors";

export const LATENT_RGB_FACTORS_FILE = "latent_rgb_factors.json";

/** rgb[-1,1] = bias + sum_c weights[c] * z_c, z in the scaled latent space. */
export interface LatentRgbFactors {
  /** [C][3] */
  readonly weights: readonly (readonly number[])[];
  /** [3] */
  readonly bias: readonly number[];
  /** Where they came from, for the log line at start. */
  readonly source: string;
}

/** Stable Diffusion 1.x's community latent-to-RGB factors (scaled latent -> [-1,1] RGB). */
const SD1_FACTORS: LatentRgbFactors = {
  weights: [
    [0.3512, 0.2297, 0.3227],
    [0.325, 0.4974, 0.235],
    [-0.2829, 0.1762, 0.2721],
    [-0.212, -0.0329, -0.4126],
  ],
  bias: [0, 0, 0],
  source: "Stable Diffusion 1.x factors (no latent_rgb_factors.json in the package)",
};

/** Longest side of a preview image, px: enough to see the edit take shape, small enough for an event. */
export const PREVIEW_MAX_SIDE_PX = 128;

export function loadLatentRgbFactors(modelDir: string, channels: number): LatentRgbFactors {
  const file = path.join(modelDir, LATENT_RGB_FACTORS_FILE);
  if (existsSync(file)) {
    const json = JSON.parse(readFileSync(file, "utf8")) as { weights?: unknown; bias?: unknown };
    const ok =
      Array.isArray(json.weights) &&
      json.weights.length === channels &&
      json.weights.every((w) => Array.isArray(w) && w.length === 3 && w.every((v) => typeof v === "number")) &&
      Array.isArray(json.bias) &&
      json.bias.length === 3 &&
      json.bias.every((v) => typeof v === "number");
    if (!ok) throw new Error(`${file}: expected {"weights": [${channels}][3] numbers, "bias": [3] numbers}`);
    return { weights: json.weights as number[][], bias: json.bias as number[], source: file };
  }
  if (channels === 4) return SD1_FACTORS;
  return { weights: Array.from({ length: channels }, () => [1 / channels, 1 / channels, 1 / channels]), bias: [0, 0, 0], source: "channel mean (no factors for this latent)" };
}

/** A latent [1,C,h,w] f32 as a PNG data URL, upscaled (nearest would be blocky; Lanczos via imaging). */
export async function latentPreview(latent: HostTensor, factors: LatentRgbFactors): Promise<string> {
  const [, c, h, w] = latent.shape as [number, number, number, number];
  const z = latent.data as Float32Array;
  const cells = h * w;
  const rgb = new Uint8Array(cells * 3);
  for (let i = 0; i < cells; i++) {
    for (let k = 0; k < 3; k++) {
      let v = factors.bias[k]!;
      for (let ch = 0; ch < c; ch++) v += factors.weights[ch]![k]! * z[ch * cells + i]!;
      rgb[i * 3 + k] = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
    }
  }
  const scale = Math.max(1, Math.floor(PREVIEW_MAX_SIDE_PX / Math.max(h, w)));
  const png = await encodeImage({ width: w, height: h, data: rgb }, "png", { resizeTo: { width: w * scale, height: h * scale } });
  return `data:image/png;base64,${png.bytes.toString("base64")}`;
}
