import { TensorShapeError } from "./errors.js";

/** Number of elements: product of the dims; 1 for a scalar (shape []). */
export function shapeSize(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** "[1,4,64,64]" — the form used in error messages, logs and NATS headers. */
export function formatShape(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(",")}]`;
}

/** Dims must be non-negative integers that fit the wire's uint32; the element count must stay exact. */
export function checkShape(shape: readonly number[], field = "tensor"): void {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0 || dim > 0xffff_ffff) {
      throw new TensorShapeError(`${field}: shape ${formatShape(shape)} has a dim that is not a uint32`);
    }
  }
  if (!Number.isSafeInteger(shapeSize(shape))) {
    throw new TensorShapeError(`${field}: shape ${formatShape(shape)} has too many elements`);
  }
}

/** Compares against an expected shape where null matches any size. */
export function checkExpectedShape(shape: readonly number[], expected: readonly (number | null)[], field: string): void {
  const ok = shape.length === expected.length && expected.every((d, i) => d === null || d === shape[i]);
  if (!ok) {
    throw new TensorShapeError(`${field}: expected shape ${formatShape(expected)}, got ${formatShape(shape)}`);
  }
}
