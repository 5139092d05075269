// Checks one ONNX graph's inputs/outputs against the contract, with messages that name the file,
// the value and what was expected ("unet/model.onnx: input "sample" has rank 3 [B,8,h], expected
// 4 [B,2C,h,w]").
import { OnnxContractError } from "./errors.js";
import type { OnnxMetadata, OnnxValueInfo } from "./onnx-metadata.js";

export type IoKind = "input" | "output";

function list(meta: OnnxMetadata, kind: IoKind): readonly OnnxValueInfo[] {
  return kind === "input" ? meta.inputs : meta.outputs;
}

function names(values: readonly OnnxValueInfo[]): string {
  return values.length === 0 ? "none" : values.map((v) => `"${v.name}"`).join(", ");
}

export function formatDims(v: OnnxValueInfo): string {
  return v.dims === null ? "[unknown rank]" : `[${v.dims.map((d) => (d === "" ? "?" : String(d))).join(",")}]`;
}

/** The named value, or null when the graph lacks it. */
export function findValue(meta: OnnxMetadata, kind: IoKind, name: string): OnnxValueInfo | null {
  return list(meta, kind).find((v) => v.name === name) ?? null;
}

/**
 * The named value, checked for rank and dtype. `layout` documents the expected shape
 * (e.g. "[B,2C,h,w]") and sets the rank; an unknown rank (no shape in the graph) passes.
 */
export function requireValue(
  meta: OnnxMetadata,
  kind: IoKind,
  name: string,
  layout: string,
  dtypes: readonly string[],
): OnnxValueInfo {
  const v = findValue(meta, kind, name);
  if (v === null) {
    throw new OnnxContractError(meta.path, `${kind} "${name}" ${layout} missing (${kind}s: ${names(list(meta, kind))})`);
  }
  return checkValue(meta, kind, v, layout, dtypes);
}

export function checkValue(
  meta: OnnxMetadata,
  kind: IoKind,
  v: OnnxValueInfo,
  layout: string,
  dtypes: readonly string[],
): OnnxValueInfo {
  const rank = layout === "[]" ? 0 : layout.split(",").length;
  if (v.dims !== null && v.dims.length !== rank) {
    throw new OnnxContractError(
      meta.path,
      `${kind} "${v.name}" has rank ${v.dims.length} ${formatDims(v)}, expected ${rank} ${layout}`,
    );
  }
  if (!dtypes.includes(v.dtype)) {
    throw new OnnxContractError(meta.path, `${kind} "${v.name}" is ${v.dtype}, expected ${dtypes.join(" or ")}`);
  }
  return v;
}

/** The static size of `axis`, or null when it is symbolic or the rank is unknown. */
export function staticDim(v: OnnxValueInfo, axis: number): number | null {
  const d = v.dims?.[axis];
  return typeof d === "number" && d > 0 ? d : null;
}

/** Fails when a static axis is not `expected` (a symbolic axis passes). */
export function expectDim(meta: OnnxMetadata, kind: IoKind, v: OnnxValueInfo, axis: number, expected: number, what: string): void {
  const d = staticDim(v, axis);
  if (d !== null && d !== expected) {
    throw new OnnxContractError(meta.path, `${kind} "${v.name}" ${formatDims(v)} axis ${axis} is ${d}, expected ${expected} (${what})`);
  }
}

/** Fails when the graph has inputs the services would not know how to feed. */
export function rejectExtraInputs(meta: OnnxMetadata, allowed: readonly string[]): void {
  const extra = meta.inputs.filter((v) => !allowed.includes(v.name));
  if (extra.length > 0) {
    throw new OnnxContractError(
      meta.path,
      `unexpected input(s) ${names(extra)}; the contract allows ${allowed.map((n) => `"${n}"`).join(", ")}`,
    );
  }
}
