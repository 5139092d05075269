/**
 * Builds the InstructPix2Pix guidance batch for one edit, in diffusers' (odd) row order. THE one
 * function that knows this order; combineGuidance reads the model output in the same order.
 *
 *   row   sample channels                 encoder_hidden_states   meaning
 *   0     scaledLatent ++ imageLatent     textEmbedding (cond)    eps(c_I, c_T)
 *   1     scaledLatent ++ imageLatent     uncondEmbedding         eps(c_I, 0)
 *   2     scaledLatent ++ zeros           uncondEmbedding         eps(0, 0)
 *
 * For a single item [C,h,w] the channel axis is outermost, so "++ on channels" is concatenation of
 * the flat arrays. The task embedding (Emu Edit) goes with every row.
 */
import { ShapeMismatchError, UnetChannelMismatchError } from "./errors.js";

export interface GuidanceBatchInput {
  /** scheduler.scaleModelInput(latent) [C,h,w] f32 */
  scaledLatent: Float32Array;
  /** VAE posterior mode of the input image, unscaled [C_img,h,w] f32 */
  imageLatent: Float32Array;
  /** text encoder last_hidden_state of the instruction [77*D] f32 */
  textEmbedding: Float32Array;
  /** text encoder last_hidden_state of the empty prompt [77*D] f32 */
  uncondEmbedding: Float32Array;
  /** task embedding [E] f32 (Emu-style models only) */
  taskEmbedding?: Float32Array;
  /** With unetInChannels: checks latent + image channels against the UNet input (assertUnetChannels). */
  latentChannels?: number;
  unetInChannels?: number;
}

export interface GuidanceBatch {
  /** [3, C + C_img, h, w] f32 */
  sample: Float32Array;
  /** [3, 77, D] f32: cond, uncond, uncond */
  encoderHiddenStates: Float32Array;
  /** [3, E] f32: the same row three times; present iff the input had one */
  taskEmbedding?: Float32Array;
}

/**
 * Contract check between the model package and the latents: the UNet's `sample` input has
 * latent channels + image-latent channels. Throws an actionable UnetChannelMismatchError.
 */
export function assertUnetChannels(latentChannels: number, imageChannels: number, unetInChannels: number): void {
  if (latentChannels + imageChannels === unetInChannels) return;
  throw new UnetChannelMismatchError(
    `UNet expects ${unetInChannels} input channels but the batch would have ${latentChannels} (noisy latent) + ` +
      `${imageChannels} (image latent) = ${latentChannels + imageChannels}. An InstructPix2Pix UNet takes ` +
      `2 x the VAE latent channels (8 for Stable Diffusion); check that unet/model.onnx and vae_encoder/model.onnx ` +
      `come from the same model package and that the UNet is an image-conditioned (instruct-pix2pix) UNet.`,
  );
}

export function buildGuidanceBatch(input: GuidanceBatchInput): GuidanceBatch {
  const { scaledLatent, imageLatent, textEmbedding, uncondEmbedding, taskEmbedding } = input;
  if (textEmbedding.length !== uncondEmbedding.length) {
    throw new ShapeMismatchError(
      `buildGuidanceBatch: text embedding has ${textEmbedding.length} values but the unconditional one has ${uncondEmbedding.length}`,
    );
  }
  if (input.latentChannels !== undefined && input.unetInChannels !== undefined) {
    const c = input.latentChannels;
    const plane = scaledLatent.length / c;
    if (!Number.isInteger(plane) || imageLatent.length % plane !== 0) {
      throw new ShapeMismatchError(
        `buildGuidanceBatch: latent (${scaledLatent.length} values, ${c} channels) and image latent (${imageLatent.length} values) do not share one h*w`,
      );
    }
    assertUnetChannels(c, imageLatent.length / plane, input.unetInChannels);
  }
  const rowLength = scaledLatent.length + imageLatent.length;
  const sample = new Float32Array(3 * rowLength); // row 2's image part stays zero
  for (let row = 0; row < 3; row++) sample.set(scaledLatent, row * rowLength);
  sample.set(imageLatent, scaledLatent.length);
  sample.set(imageLatent, rowLength + scaledLatent.length);

  const textLength = textEmbedding.length;
  const encoderHiddenStates = new Float32Array(3 * textLength);
  encoderHiddenStates.set(textEmbedding, 0);
  encoderHiddenStates.set(uncondEmbedding, textLength);
  encoderHiddenStates.set(uncondEmbedding, 2 * textLength);

  if (taskEmbedding === undefined) return { sample, encoderHiddenStates };
  const tasks = new Float32Array(3 * taskEmbedding.length);
  for (let row = 0; row < 3; row++) tasks.set(taskEmbedding, row * taskEmbedding.length);
  return { sample, encoderHiddenStates, taskEmbedding: tasks };
}
