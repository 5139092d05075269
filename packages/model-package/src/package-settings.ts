// emuedit.json and the fallbacks for packages without it (a user's plain InstructPix2Pix export).
// Every fallback that is not read from the package is written to `notes` so an operator sees
// which numbers were assumed.
import { basename } from "node:path";
import type { JsonFields } from "./json-files.js";

/**
 * Values diffusers uses when a package does not state them: AutoencoderKL's default
 * scaling_factor and vae_scale_factor = 2 ** (len(block_out_channels) - 1) = 8 for SD VAEs,
 * StableDiffusionInstructPix2PixPipeline.__call__ defaults (100 steps, guidance 7.5, image
 * guidance 1.5) and its default size unet.config.sample_size * vae_scale_factor = 64 * 8.
 */
export const DIFFUSERS_DEFAULTS = {
  scalingFactor: 0.18215,
  vaeScaleFactor: 8,
  resolution: 512,
  steps: 100,
  guidanceScale: 7.5,
  imageGuidanceScale: 1.5,
} as const;

/** Optional component configs saved by diffusers/optimum exports next to each model.onnx. */
export interface ComponentConfigs {
  readonly unet: JsonFields | null;
  readonly vaeEncoder: JsonFields | null;
  readonly vaeDecoder: JsonFields | null;
}

/** First value that is not undefined/null, with the note of the fallback when it came from one. */
function pick(notes: string[], what: string, candidates: Array<[number | null | undefined, string | null]>): number {
  for (const [value, note] of candidates) {
    if (value === undefined || value === null) continue;
    if (note !== null) notes.push(`${what}: ${note}`);
    return value;
  }
  throw new Error(`no candidate for ${what}`);
}

export function packageName(dir: string, emu: JsonFields | null): string {
  return emu?.string("name") ?? basename(dir);
}

/** Pixels per latent cell. Order: emuedit.json, static VAE decoder shapes, VAE config, default. */
export function vaeScaleFactor(
  notes: string[],
  emu: JsonFields | null,
  fromShapes: number | null,
  configs: ComponentConfigs,
): number {
  const blocks = configs.vaeDecoder?.array("block_out_channels") ?? configs.vaeEncoder?.array("block_out_channels");
  return pick(notes, "vaeScaleFactor", [
    [emu?.count("vae_scale_factor"), null],
    [fromShapes, null],
    [blocks && blocks.length > 0 ? 2 ** (blocks.length - 1) : null, "2^(len(block_out_channels)-1) from the VAE config.json"],
    [DIFFUSERS_DEFAULTS.vaeScaleFactor, `not stated; using the Stable Diffusion VAE's ${DIFFUSERS_DEFAULTS.vaeScaleFactor}`],
  ]);
}

/**
 * Training resolution. Order: emuedit.json "resolution"; unet/config.json sample_size x
 * vaeScaleFactor (diffusers' default height); a static UNet sample height x vaeScaleFactor;
 * the VAE config's sample_size; diffusers' 512.
 */
export function resolution(
  notes: string[],
  emu: JsonFields | null,
  configs: ComponentConfigs,
  unetStaticHeight: number | null,
  scale: number,
): number {
  const unetSample = configs.unet?.count("sample_size");
  return pick(notes, "resolution", [
    [emu?.count("resolution"), null],
    [unetSample === undefined ? null : unetSample * scale, "unet/config.json sample_size x vaeScaleFactor"],
    [unetStaticHeight === null ? null : unetStaticHeight * scale, "static UNet sample height x vaeScaleFactor"],
    [configs.vaeDecoder?.count("sample_size"), "vae_decoder/config.json sample_size"],
    [DIFFUSERS_DEFAULTS.resolution, `not stated; using diffusers' ${DIFFUSERS_DEFAULTS.resolution}`],
  ]);
}

/** emuedit.json vae_scaling_factor, else the VAE config's scaling_factor, else diffusers' default. */
export function scalingFactor(notes: string[], emu: JsonFields | null, configs: ComponentConfigs): number {
  return pick(notes, "scalingFactor", [
    [emu?.positive("vae_scaling_factor"), null],
    [configs.vaeDecoder?.positive("scaling_factor"), null],
    [configs.vaeEncoder?.positive("scaling_factor"), null],
    [DIFFUSERS_DEFAULTS.scalingFactor, `not stated; using AutoencoderKL's default ${DIFFUSERS_DEFAULTS.scalingFactor}`],
  ]);
}

export function editDefaults(notes: string[], emu: JsonFields | null): { steps: number; guidanceScale: number; imageGuidanceScale: number } {
  const fallback = "not stated; using the InstructPix2Pix pipeline default";
  return {
    steps: pick(notes, "defaults.steps", [[emu?.count("default_steps"), null], [DIFFUSERS_DEFAULTS.steps, fallback]]),
    guidanceScale: pick(notes, "defaults.guidanceScale", [
      [emu?.positive("default_guidance_scale", true), null],
      [DIFFUSERS_DEFAULTS.guidanceScale, fallback],
    ]),
    imageGuidanceScale: pick(notes, "defaults.imageGuidanceScale", [
      [emu?.positive("default_image_guidance_scale", true), null],
      [DIFFUSERS_DEFAULTS.imageGuidanceScale, fallback],
    ]),
  };
}
