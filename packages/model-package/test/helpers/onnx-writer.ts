// Writes graph-only ONNX files (inputs, outputs, initializer headers; no nodes) with the real
// protobuf encoding of onnx/onnx.proto, so metadata paths the fixture models do not cover
// (symbolic channels, scalar timesteps, unnamed dims, IR-3 initializer inputs, external data)
// can be tested without Python. onnxruntime would refuse to run these; the loader never runs them.

export type Dim = number | string;

export interface ValueSpec {
  name: string;
  /** TensorProto.DataType: 1 float, 6 int32, 7 int64, 10 float16. */
  elemType: number;
  /** null: no shape at all (unknown rank). "" writes a dim with neither value nor param. */
  dims: Dim[] | null;
}

export interface InitializerSpec {
  name: string;
  dims: number[];
  /** When set, the tensor lives in this external file (data_location = EXTERNAL). */
  externalLocation?: string;
  /** Inline raw_data bytes (to check they are skipped). */
  rawBytes?: number;
}

export interface GraphSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  initializers?: InitializerSpec[];
  irVersion?: number;
}

const FLOAT = 1;

type Bytes = Uint8Array;
const cat = (...parts: Bytes[]): Bytes => Buffer.concat(parts);

function varint(n: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);
const vfield = (field: number, n: number | bigint) => cat(tag(field, 0), varint(n));
const bfield = (field: number, bytes: Bytes) => cat(tag(field, 2), varint(bytes.length), bytes);
const sfield = (field: number, s: string) => bfield(field, new TextEncoder().encode(s));

function dim(d: Dim): Bytes {
  if (typeof d === "number") return vfield(1, d);
  return d === "" ? new Uint8Array(0) : sfield(2, d);
}

function valueInfo(v: ValueSpec): Bytes {
  const parts = [vfield(1, v.elemType)];
  if (v.dims !== null) parts.push(bfield(2, cat(...v.dims.map((d) => bfield(1, dim(d))))));
  return cat(sfield(1, v.name), bfield(2, bfield(1, cat(...parts))));
}

function initializer(t: InitializerSpec): Bytes {
  const parts = [...t.dims.map((d) => vfield(1, d)), vfield(2, FLOAT), sfield(8, t.name)];
  if (t.rawBytes !== undefined) parts.push(bfield(9, new Uint8Array(t.rawBytes)));
  if (t.externalLocation !== undefined) {
    parts.push(bfield(13, cat(sfield(1, "location"), sfield(2, t.externalLocation))));
    parts.push(bfield(13, cat(sfield(1, "offset"), sfield(2, "0"))));
    parts.push(vfield(14, 1));
  }
  return cat(...parts);
}

export function onnxBytes(spec: GraphSpec): Uint8Array {
  const graph = cat(
    ...(spec.initializers ?? []).map((t) => bfield(5, initializer(t))),
    sfield(2, "graph"),
    ...spec.inputs.map((v) => bfield(11, valueInfo(v))),
    ...spec.outputs.map((v) => bfield(12, valueInfo(v))),
  );
  return cat(
    vfield(1, spec.irVersion ?? 8),
    sfield(2, "emuedit-test"),
    bfield(7, graph),
    bfield(8, cat(sfield(1, ""), vfield(2, 17))),
  );
}

export const f32 = (name: string, dims: Dim[] | null): ValueSpec => ({ name, elemType: 1, dims });
export const i64 = (name: string, dims: Dim[] | null): ValueSpec => ({ name, elemType: 7, dims });
export const i32 = (name: string, dims: Dim[] | null): ValueSpec => ({ name, elemType: 6, dims });
