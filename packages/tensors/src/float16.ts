// IEEE 754 binary16 <-> binary32 on raw bits.
// binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits; binary32: 1, 8 (bias 127), 23.

/** Exact (every binary16 is a binary32). NaN payloads are kept. */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i]!;
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) {
      outBits[i] = sign | 0x7f80_0000 | (mant << 13); // inf / nan
    } else if (exp !== 0) {
      outBits[i] = sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 -> 127
    } else {
      // zero or subnormal: mant * 2^-24, exact in binary32.
      const magnitude = mant * 2 ** -24;
      out[i] = sign !== 0 ? -magnitude : magnitude;
    }
  }
  return out;
}

/** Round-to-nearest-even; overflow -> ±inf, underflow -> subnormals / ±0, NaN stays NaN (payload top bits kept). */
export function float32ToFloat16(x: Float32Array): Uint16Array {
  const out = new Uint16Array(x.length);
  const inBits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < x.length; i++) out[i] = roundToFloat16(inBits[i]!);
  return out;
}

function roundToFloat16(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7f_ffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    const payload = mant >>> 13;
    return sign | 0x7c00 | (payload !== 0 ? payload : 0x200); // keep it a NaN
  }
  const e = exp - 127; // unbiased exponent
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal: keep the top 10 mantissa bits, round on the 13 dropped ones. A carry out of the
    // mantissa bumps the exponent, and past 65504 lands exactly on inf (0x7c00).
    const h = sign | ((e + 15) << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    return rest > 0x1000 || (rest === 0x1000 && (h & 1) !== 0) ? h + 1 : h;
  }
  // Below 2^-25 (incl. binary32 subnormals) everything rounds to zero; 2^-25 itself ties to 0.
  if (e < -25) return sign;
  // Subnormal: value = full * 2^(e-23), in units of 2^-24 that is full >> (-e - 1).
  const full = mant | 0x80_0000;
  const shift = -e - 1; // 14..24
  const h = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return sign | (rest > half || (rest === half && (h & 1) !== 0) ? h + 1 : h);
}
