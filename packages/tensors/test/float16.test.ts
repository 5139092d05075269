import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { float16ToFloat32, float32ToFloat16 } from "@emuedit/tensors";

function f32(bits: number): number {
  return new Float32Array(new Uint32Array([bits]).buffer)[0]!;
}
function toHalf(x: number): number {
  return float32ToFloat16(new Float32Array([x]))[0]!;
}

describe("float16", () => {
  test("float16 - every bit pattern survives f16 -> f32 -> f16", () => {
    const all = new Uint16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const back = float32ToFloat16(float16ToFloat32(all));
    for (let i = 0; i < all.length; i++) {
      if (back[i] !== i) assert.fail(`0x${i.toString(16)} came back as 0x${back[i]!.toString(16)}`);
    }
  });

  test("float16 - decodes known values exactly", () => {
    const bits = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0400, 0x0001, 0x03ff, 0x8000, 0x7c00, 0xfc00, 0x7e00]);
    const x = float16ToFloat32(bits);
    assert.deepEqual([...x.subarray(0, 7)], [1, -2, 65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -0]);
    assert.ok(Object.is(x[6], -0));
    assert.equal(x[7], Infinity);
    assert.equal(x[8], -Infinity);
    assert.ok(Number.isNaN(x[9]));
  });

  test("float16 - rounds to nearest, ties to even", () => {
    assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // tie between 1 and 1+2^-10 -> even (1)
    assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02); // tie -> even mantissa 2
    assert.equal(toHalf(1 + 2 ** -11 + 2 ** -20), 0x3c01); // just above the tie
    assert.equal(toHalf(65519), 0x7bff);
    assert.equal(toHalf(65520), 0x7c00); // tie above max -> inf
    assert.equal(toHalf(1e10), 0x7c00);
    assert.equal(toHalf(-1e10), 0xfc00);
    assert.equal(toHalf(2 ** -25), 0x0000); // tie between 0 and min subnormal -> 0
    assert.equal(toHalf(1.5 * 2 ** -25), 0x0001);
    assert.equal(toHalf(3 * 2 ** -25), 0x0002); // tie between 1 and 2 units -> even
    assert.equal(toHalf(-(2 ** -30)), 0x8000);
    assert.equal(toHalf(f32(0x0000_0001)), 0x0000); // binary32 subnormal
    assert.equal(toHalf(2 ** -14 - 2 ** -25), 0x0400); // tie in the top subnormal carries to min normal
    assert.equal(toHalf(NaN) & 0x7c00, 0x7c00);
    assert.notEqual(toHalf(NaN) & 0x3ff, 0);
    assert.equal(toHalf(f32(0x7f80_0001)) & 0x3ff, 0x200); // payload only in dropped bits stays NaN
  });

  test("float16 - random binary32 values round to the nearest binary16", () => {
    // Reference: the nearest of the two binary16 neighbours, ties to the even one.
    const all = new Uint16Array(0x7c01);
    for (let i = 0; i < all.length; i++) all[i] = i;
    const values = float16ToFloat32(all); // ascending, up to +inf
    const input = new Float32Array(20_000);
    const bits = new Uint32Array(input.buffer);
    let seed = 12345;
    for (let i = 0; i < bits.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      // Exponents spanning subnormal..overflow range of binary16, positive only.
      bits[i] = ((96 + (seed % 50)) << 23) | (Math.imul(seed, 2654435761) >>> 9);
    }
    const got = float32ToFloat16(input);
    for (let i = 0; i < input.length; i++) {
      const x = input[i]!;
      let hi = 0;
      while (hi < 0x7c00 && values[hi]! < x) hi++;
      let want: number;
      if (values[hi] === x || hi === 0) want = hi;
      else {
        const lo = hi - 1;
        // Above 65504 the upper neighbour is 65536 (which is inf) in IEEE rounding.
        const upper = hi === 0x7c00 ? 65536 : values[hi]!;
        const dLo = x - values[lo]!;
        const dHi = upper - x;
        want = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
      }
      if (got[i] !== want) assert.fail(`${x}: got 0x${got[i]!.toString(16)}, want 0x${want.toString(16)}`);
    }
  });
});
