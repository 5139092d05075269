/**
 * Numbers computed by diffusers' own scheduler code (see test/fixtures/README.md for how), and
 * comparison helpers. Only numbers are committed, no diffusers code.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

export interface LoopSummary {
  absSum: number;
  absMean: number;
  indices: number[];
  values: number[];
}

export interface Reference {
  generatedWith: string;
  fullLoops: Record<string, LoopSummary>;
  eulerAncestralInjected: Record<string, LoopSummary>;
  ourConfigs: Record<string, LoopSummary>;
  schedules: Record<string, unknown>;
}

export const reference: Reference = JSON.parse(
  readFileSync(new URL("../fixtures/diffusers-reference.json", import.meta.url), "utf8"),
) as Reference;

export function lookup<T>(table: Record<string, T>, key: string): T {
  const value = table[key];
  if (value === undefined) throw new Error(`reference fixture has no entry "${key}"`);
  return value;
}

export function absMean(x: Float32Array): number {
  let s = 0;
  for (const v of x) s += Math.abs(v);
  return s / x.length;
}

/**
 * Our final sample against diffusers' (same float32 operation order, so most cases agree to the
 * bit; Karras and LMS paths differ by an ulp or so through libm log/pow and scipy's quadrature).
 */
export function assertMatchesReference(got: Float32Array, ref: LoopSummary, relTol = 5e-6): void {
  let sum = 0;
  for (const v of got) sum += Math.abs(v);
  assert.ok(Math.abs(sum - ref.absSum) <= relTol * Math.abs(ref.absSum) + 1e-9, `abs sum ${sum} vs diffusers ${ref.absSum}`);
  ref.indices.forEach((index, k) => {
    const expected = ref.values[k]!;
    const actual = got[index]!;
    assert.ok(
      Math.abs(actual - expected) <= relTol * Math.abs(expected) + 1e-12,
      `element ${index}: ${actual} vs diffusers ${expected}`,
    );
  });
}

export function assertArrayClose(got: ArrayLike<number>, expected: ArrayLike<number>, relTol: number, what: string): void {
  assert.equal(got.length, expected.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const e = expected[i]!;
    assert.ok(Math.abs(got[i]! - e) <= relTol * Math.abs(e), `${what}[${i}]: ${got[i]} vs diffusers ${e}`);
  }
}
