// Images <-> latents with the package's autoencoder. Wire format on both sides is uint8 RGB
// [N,H,W,3] (4x smaller than floats); the [-1,1] NCHW conversion happens here, next to the model.
import { fixedImageSize, type ModelPackage } from "@emuedit/model-package";
import { nchwToNhwc, nhwcToNchw } from "@emuedit/imaging";
import type { HostTensor } from "@emuedit/tensors";
import { InvalidEditError, ModelOutputError } from "@emuedit/edit-contract";
import type { OnnxRunner } from "./unet-runner.js";

export interface VaeStage {
  /** Pixels per latent cell. */
  readonly scaleFactor: number;
  readonly latentChannels: number;
  /** uint8 [N,H,W,3] -> f32 [N,C,h,w] posterior mode, unscaled. */
  encode(images: HostTensor, signal?: AbortSignal): Promise<HostTensor>;
  /** Whether decode needs the edit's source images (a decoder conditioned on them). */
  readonly takesSource: boolean;
  /**
   * f32 [N,C,h,w] in the scaled space -> uint8 [N,H,W,3]. `sources`: the edits' source images,
   * uint8 [N,H,W,3] at the decoded size; required when takesSource, ignored otherwise.
   */
  decode(latents: HostTensor, sources: HostTensor | null, signal?: AbortSignal): Promise<HostTensor>;
}

export function createVaeStage(pkg: ModelPackage, runners: { encoder: OnnxRunner; decoder: OnnxRunner }): VaeStage {
  const c = pkg.unet.latentChannels;
  const f = pkg.vaeScaleFactor;
  const fixed = fixedImageSize(pkg);
  const takesSource = pkg.vaeDecoder.takesSource;

  return {
    scaleFactor: f,
    latentChannels: c,
    async encode(images, signal) {
      const [n, h, w, ch] = images.shape;
      if (images.dtype !== "uint8" || images.shape.length !== 4 || ch !== 3) {
        throw new InvalidEditError("images", `expected uint8 [N,H,W,3], got ${images.dtype} [${images.shape.join(",")}]`);
      }
      if (fixed && (h !== fixed.height || w !== fixed.width)) {
        throw new InvalidEditError("images", `this model's VAE takes exactly ${fixed.width}x${fixed.height} pixels, got ${w}x${h}`);
      }
      if (h! % f !== 0 || w! % f !== 0) {
        throw new InvalidEditError("images", `height and width must be multiples of ${f}, got ${h}x${w}`);
      }
      const sample = nhwcToNchw(images.data as Uint8Array, { batch: n!, height: h!, width: w! });
      const out = await runners.encoder.run({ sample: { dtype: "float32", shape: [n!, 3, h!, w!], data: sample } }, signal ? { signal } : undefined);
      const lh = h! / f;
      const lw = w! / f;
      const cells = lh * lw;
      if (pkg.vaeEncoder.output === "latent_sample") {
        const z = out.latent_sample;
        if (!z || z.data.length !== n! * c * cells) throw new ModelOutputError(`vae_encoder latent_sample: expected [${n},${c},${lh},${lw}]`);
        return { dtype: "float32", shape: [n!, c, lh, lw], data: z.data };
      }
      // latent_parameters = mean ++ logvar on the channel axis: the mode is the mean.
      const p = out.latent_parameters;
      if (!p || p.data.length !== n! * 2 * c * cells) throw new ModelOutputError(`vae_encoder latent_parameters: expected [${n},${2 * c},${lh},${lw}]`);
      const mean = new Float32Array(n! * c * cells);
      for (let i = 0; i < n!; i++) {
        mean.set((p.data as Float32Array).subarray(i * 2 * c * cells, i * 2 * c * cells + c * cells), i * c * cells);
      }
      return { dtype: "float32", shape: [n!, c, lh, lw], data: mean };
    },
    takesSource,
    async decode(latents, sources, signal) {
      const [n, lc, lh, lw] = latents.shape;
      if (latents.dtype !== "float32" || latents.shape.length !== 4 || lc !== c) {
        throw new InvalidEditError("latents", `expected float32 [N,${c},h,w], got ${latents.dtype} [${latents.shape.join(",")}]`);
      }
      const h = lh! * f;
      const w = lw! * f;
      // Decoders take the unscaled latent: divide by the package's scaling factor.
      const z = new Float32Array(latents.data as Float32Array);
      const inv = 1 / pkg.scalingFactor;
      for (let i = 0; i < z.length; i++) z[i] = z[i]! * inv;
      const feeds: Record<string, HostTensor> = { latent_sample: { dtype: "float32", shape: [n!, c, lh!, lw!], data: z } };
      if (takesSource) {
        if (!sources) throw new InvalidEditError("source_images", "this model's decoder reads the edit's source image: send it with the latents");
        const [sn, sh, sw, sc] = sources.shape;
        if (sources.dtype !== "uint8" || sources.shape.length !== 4 || sn !== n || sh !== h || sw !== w || sc !== 3) {
          throw new InvalidEditError("source_images", `expected uint8 [${n},${h},${w},3] (the decoded size), got ${sources.dtype} [${sources.shape.join(",")}]`);
        }
        feeds.source_sample = { dtype: "float32", shape: [n!, 3, h, w], data: nhwcToNchw(sources.data as Uint8Array, { batch: n!, height: h, width: w }) };
      }
      const out = await runners.decoder.run(feeds, signal ? { signal } : undefined);
      const img = out.sample ?? Object.values(out)[0];
      if (!img || img.data.length !== n! * 3 * h * w) throw new ModelOutputError(`vae_decoder sample: expected [${n},3,${h},${w}]`);
      return { dtype: "uint8", shape: [n!, h, w, 3], data: nchwToNhwc(img.data as Float32Array, { batch: n!, height: h, width: w }) };
    },
  };
}
