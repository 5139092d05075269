/**
 * float32 arithmetic in JavaScript. `Math.fround(a op b)` on float32 inputs equals the IEEE float32
 * result of `a op b` for + - * / and sqrt (float64 carries more than 2*24+2 bits, so the double
 * rounding is harmless). Rounding after every operation, in diffusers' order, reproduces torch's
 * float32 tensor arithmetic (no fused multiply-add anywhere) and is the same on every machine.
 */
export const f32 = Math.fround;

/** torch `x ** 0.5` on a float32 scalar. */
export function sqrtF32(x: number): number {
  return Math.fround(Math.sqrt(x));
}

