/**
 * InstructPix2Pix three-way classifier-free guidance (Brooks et al. 2023, eq. 3). THE one place
 * this formula lives:
 *
 *   eps = eps(0, 0) + s_T (eps(c_I, c_T) - eps(c_I, 0)) + s_I (eps(c_I, 0) - eps(0, 0))
 *
 *   eps(c_I, c_T) = eps_text_image  row 0 of the batch (text + image)
 *   eps(c_I, 0)   = eps_image       row 1 (image only)
 *   eps(0, 0)     = eps_neither     row 2 (neither)
 *   s_T = guidanceScale, s_I = imageGuidanceScale
 *
 * Arithmetic is float32 in diffusers' order (`uncond + g*(text - image) + g_i*(image - uncond)`).
 */
import { InvalidArgumentError, ShapeMismatchError } from "./errors.js";

/** eps [3*N] f32 (rows: text+image, image only, neither) -> guided eps [N] f32. */
export function combineGuidance(eps: Float32Array, guidanceScale: number, imageGuidanceScale: number): Float32Array {
  if (eps.length % 3 !== 0) {
    throw new ShapeMismatchError(`combineGuidance: eps has ${eps.length} values, not 3 equal rows`);
  }
  if (!Number.isFinite(guidanceScale) || !Number.isFinite(imageGuidanceScale)) {
    throw new InvalidArgumentError(
      `combineGuidance: guidance scales must be finite, got ${guidanceScale} and ${imageGuidanceScale}`,
    );
  }
  const n = eps.length / 3;
  const gText = Math.fround(guidanceScale);
  const gImage = Math.fround(imageGuidanceScale);
  const f = Math.fround;
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const textImage = eps[k]!;
    const image = eps[n + k]!;
    const neither = eps[2 * n + k]!;
    out[k] = f(f(neither + f(gText * f(textImage - image))) + f(gImage * f(image - neither)));
  }
  return out;
}
