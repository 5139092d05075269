// Feed checks against the model's declared inputs (so a bad request fails in microseconds with a
// clear message, without occupying a worker), warm-up feeds, and buffer ownership for
// postMessage: private copies by default, transfer on request.
import { DTYPE_NAMES, formatShape, isDTypeName, shapeSize, type DTypeName, type HostTensor, type TensorData } from "@emuedit/tensors";
import type { IoMetadata } from "./protocol.js";

const DTYPE_ARRAYS: Record<DTypeName, (n: number) => TensorData> = {
  float32: (n) => new Float32Array(n),
  float16: (n) => new Uint16Array(n),
  int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n),
  uint8: (n) => new Uint8Array(n),
};

const formatDims = (dims: readonly (number | string)[]) => `[${dims.map((d) => (d === "" ? "?" : String(d))).join(",")}]`;

/** Returns a problem description, or null when the feeds fit the model's inputs. */
export function checkFeeds(feeds: Record<string, HostTensor>, inputs: readonly IoMetadata[]): string | null {
  const expected = new Map(inputs.map((m) => [m.name, m]));
  for (const name of Object.keys(feeds)) {
    if (!expected.has(name)) return `unknown input "${name}" (inputs: ${inputs.map((m) => m.name).join(", ")})`;
  }
  for (const m of inputs) {
    const t = feeds[m.name];
    if (t === undefined) return `missing input "${m.name}" ${m.dtype}${formatDims(m.dims)}`;
    if (t.dtype !== m.dtype) return `input "${m.name}" is ${t.dtype}, the model wants ${m.dtype}`;
    if (t.data.length !== shapeSize(t.shape)) {
      return `input "${m.name}" has ${t.data.length} elements for shape ${formatShape(t.shape)}`;
    }
    // A model without a declared shape (dims []) may still take any rank; ORT checks it then.
    const rankKnown = m.dims.length > 0 || t.shape.length === 0;
    const badRank = rankKnown && t.shape.length !== m.dims.length;
    const badDim = !badRank && m.dims.some((d, i) => typeof d === "number" && t.shape[i] !== d);
    if (badRank || badDim) {
      return `input "${m.name}" has shape ${formatShape(t.shape)}, the model wants ${formatDims(m.dims)}`;
    }
  }
  return null;
}

/** Unknown output names, or null. */
export function checkOutputNames(names: readonly string[], outputs: readonly IoMetadata[]): string | null {
  const known = new Set(outputs.map((m) => m.name));
  const unknown = names.filter((n) => !known.has(n));
  return unknown.length === 0 ? null : `unknown output(s) ${unknown.join(", ")} (outputs: ${[...known].join(", ")})`;
}

/**
 * Zero feeds of the model's input shapes; symbolic dims take `warmupDims[name]`, else 1.
 * Throws when an input's type has no HostTensor dtype.
 */
export function warmupFeeds(inputs: readonly IoMetadata[], warmupDims: Readonly<Record<string, number>>): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const m of inputs) {
    if (!isDTypeName(m.dtype)) {
      throw new Error(`input "${m.name}" has type ${m.dtype}; warm-up supports ${DTYPE_NAMES.join(", ")}`);
    }
    const shape = m.dims.map((d) => (typeof d === "number" ? d : (warmupDims[d] ?? 1)));
    feeds[m.name] = { dtype: m.dtype, shape, data: DTYPE_ARRAYS[m.dtype](shapeSize(shape)) };
  }
  return feeds;
}

/**
 * Feeds the pool owns from now on. Copy mode: each tensor's elements are copied into a buffer of
 * exactly their size (cloning a view would copy its whole ArrayBuffer). Transfer mode: the
 * caller's ArrayBuffers move to the pool at once and are detached for the caller — including
 * every other view of the same buffer.
 */
export function ownFeeds(feeds: Record<string, HostTensor>, transfer: boolean): Record<string, HostTensor> {
  if (!transfer) {
    const copy: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(feeds)) copy[name] = { dtype: t.dtype, shape: [...t.shape], data: t.data.slice() };
    return copy;
  }
  return structuredClone(feeds, { transfer: transferList(feeds) });
}

/** Distinct transferable ArrayBuffers behind the tensors (SharedArrayBuffers are shared, not moved). */
export function transferList(tensors: Record<string, HostTensor>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const t of Object.values(tensors)) {
    if (t.data.buffer instanceof ArrayBuffer) buffers.add(t.data.buffer);
  }
  return [...buffers];
}
