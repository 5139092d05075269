// Reads an ONNX model's graph inputs/outputs (name, element type, shape with symbolic dims) and the
// external data files its initializers point at, without loading weights or an onnxruntime
// session. Schema: onnx/onnx.proto (field numbers cited inline). Only the bytes of the I/O
// descriptions and of initializer headers are read; raw_data and node bodies are skipped.
import { open, type FileHandle } from "node:fs/promises";
import { MissingFileError, OnnxParseError } from "./errors.js";
import { FileFields, WireType, decodeString, memoryFields, varintToInt, type WireField } from "./protobuf-wire.js";

/** TensorProto.DataType names, as onnxruntime-node spells them (index = enum value). */
const ELEM_TYPES = [
  "undefined", "float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool",
  "float16", "float64", "uint32", "uint64", "complex64", "complex128", "bfloat16",
] as const;

/**
 * One dimension: a number when static, else the symbolic dim_param ("" when the exporter left it
 * unnamed) — the same convention as onnxruntime-node's `inputMetadata[i].shape`.
 */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  readonly name: string;
  /** e.g. "float32", "int64"; "non-tensor" for sequence/map/optional values; "unknown(N)" otherwise. */
  readonly dtype: string;
  /** null when the graph declares no shape (unknown rank). */
  readonly dims: readonly OnnxDim[] | null;
}

export interface OnnxMetadata {
  readonly path: string;
  readonly irVersion: number;
  readonly producer: string;
  /** opset per domain ("" = the default ai.onnx domain). */
  readonly opsets: Readonly<Record<string, number>>;
  /** Graph inputs that are not initializers (IR < 4 lists initializers as inputs too). */
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Distinct `location`s of initializers stored outside the file, relative to its folder. */
  readonly externalDataFiles: readonly string[];
}

// Field numbers from onnx.proto.
const MODEL = { irVersion: 1, producerName: 2, graph: 7, opsetImport: 8 } as const;
const OPSET = { domain: 1, version: 2 } as const;
const GRAPH = { initializer: 5, input: 11, output: 12 } as const;
const VALUE_INFO = { name: 1, type: 2 } as const;
const TYPE = { tensorType: 1 } as const; // sequence/map/optional/sparse types count as "non-tensor"
const TENSOR_TYPE = { elemType: 1, shape: 2 } as const;
const SHAPE = { dim: 1 } as const;
const DIM = { value: 1, param: 2 } as const;
const TENSOR = { name: 8, externalData: 13, dataLocation: 14 } as const;
const STRING_ENTRY = { key: 1, value: 2 } as const;
const DATA_LOCATION_EXTERNAL = 1;

/** Reads the metadata of the ONNX file at `path`; throws OnnxParseError when it is not one. */
export async function readOnnxMetadata(path: string): Promise<OnnxMetadata> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (err) {
    throw new MissingFileError(path, "cannot open the ONNX model", { cause: err });
  }
  try {
    const { size } = await fh.stat();
    const file = new FileFields(fh, size);
    let irVersion = 0;
    let producer = "";
    const opsets: Record<string, number> = {};
    let graph: GraphSummary | null = null;
    for await (const f of file.fields(0, size)) {
      if (f.field === MODEL.irVersion && f.wireType === WireType.varint) irVersion = varintToInt(f.varint);
      else if (f.field === MODEL.producerName && f.wireType === WireType.bytes) {
        producer = await readString(file, f);
      } else if (f.field === MODEL.opsetImport && f.wireType === WireType.bytes) {
        const [domain, version] = parseOpset(await file.bytes(f.start, f.end - f.start));
        opsets[domain] = version;
      } else if (f.field === MODEL.graph && f.wireType === WireType.bytes) {
        graph = await readGraph(file, f);
      }
    }
    if (graph === null) throw new Error("no graph (ModelProto field 7) found");
    if (irVersion === 0) throw new Error("no ir_version (ModelProto field 1) found");
    const inputs = graph.inputs.filter((v) => !graph.initializerNames.has(v.name));
    return { path, irVersion, producer, opsets, inputs, outputs: graph.outputs, externalDataFiles: [...graph.external] };
  } catch (err) {
    throw new OnnxParseError(path, `not a readable ONNX model (${(err as Error).message})`, { cause: err });
  } finally {
    await fh.close();
  }
}

interface GraphSummary {
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializerNames: Set<string>;
  external: Set<string>;
}

async function readGraph(file: FileFields, graph: WireField): Promise<GraphSummary> {
  const g: GraphSummary = { inputs: [], outputs: [], initializerNames: new Set(), external: new Set() };
  for await (const f of file.fields(graph.start, graph.end)) {
    if (f.wireType !== WireType.bytes) continue;
    if (f.field === GRAPH.input || f.field === GRAPH.output) {
      // ValueInfoProtos are a few hundred bytes: decode in memory.
      const info = parseValueInfo(await file.bytes(f.start, f.end - f.start));
      (f.field === GRAPH.input ? g.inputs : g.outputs).push(info);
    } else if (f.field === GRAPH.initializer) {
      await readInitializerHeader(file, f, g);
    }
  }
  return g;
}

/** Collects an initializer's name and external-data location, skipping its payload. */
async function readInitializerHeader(file: FileFields, t: WireField, g: GraphSummary): Promise<void> {
  let external = false;
  let location: string | null = null;
  for await (const f of file.fields(t.start, t.end)) {
    if (f.field === TENSOR.name && f.wireType === WireType.bytes) {
      g.initializerNames.add(await readString(file, f));
    } else if (f.field === TENSOR.dataLocation && f.wireType === WireType.varint) {
      external = varintToInt(f.varint) === DATA_LOCATION_EXTERNAL;
    } else if (f.field === TENSOR.externalData && f.wireType === WireType.bytes) {
      const [key, value] = parseStringEntry(await file.bytes(f.start, f.end - f.start));
      if (key === "location") location = value;
    }
  }
  if (external && location !== null) g.external.add(location);
}

async function readString(file: FileFields, f: WireField): Promise<string> {
  const bytes = await file.bytes(f.start, f.end - f.start);
  return decodeString(bytes, { ...f, start: 0, end: bytes.length });
}

function parseOpset(bytes: Uint8Array): [string, number] {
  let domain = "";
  let version = 0;
  for (const f of memoryFields(bytes)) {
    if (f.field === OPSET.domain && f.wireType === WireType.bytes) domain = decodeString(bytes, f);
    else if (f.field === OPSET.version && f.wireType === WireType.varint) version = varintToInt(f.varint);
  }
  return [domain, version];
}

function parseStringEntry(bytes: Uint8Array): [string, string] {
  let key = "";
  let value = "";
  for (const f of memoryFields(bytes)) {
    if (f.field === STRING_ENTRY.key && f.wireType === WireType.bytes) key = decodeString(bytes, f);
    else if (f.field === STRING_ENTRY.value && f.wireType === WireType.bytes) value = decodeString(bytes, f);
  }
  return [key, value];
}

function parseValueInfo(bytes: Uint8Array): OnnxValueInfo {
  let name = "";
  let dtype = "non-tensor";
  let dims: OnnxDim[] | null = null;
  for (const f of memoryFields(bytes)) {
    if (f.field === VALUE_INFO.name && f.wireType === WireType.bytes) name = decodeString(bytes, f);
    else if (f.field === VALUE_INFO.type && f.wireType === WireType.bytes) {
      ({ dtype, dims } = parseType(bytes.subarray(f.start, f.end)));
    }
  }
  return { name, dtype, dims };
}

function parseType(bytes: Uint8Array): { dtype: string; dims: OnnxDim[] | null } {
  for (const f of memoryFields(bytes)) {
    if (f.field === TYPE.tensorType && f.wireType === WireType.bytes) {
      return parseTensorType(bytes.subarray(f.start, f.end));
    }
  }
  return { dtype: "non-tensor", dims: null };
}

function parseTensorType(bytes: Uint8Array): { dtype: string; dims: OnnxDim[] | null } {
  let dtype = "undefined";
  let dims: OnnxDim[] | null = null;
  for (const f of memoryFields(bytes)) {
    if (f.field === TENSOR_TYPE.elemType && f.wireType === WireType.varint) {
      const code = varintToInt(f.varint);
      dtype = ELEM_TYPES[code] ?? `unknown(${code})`;
    } else if (f.field === TENSOR_TYPE.shape && f.wireType === WireType.bytes) {
      dims = [];
      const shape = bytes.subarray(f.start, f.end);
      for (const d of memoryFields(shape)) {
        if (d.field === SHAPE.dim && d.wireType === WireType.bytes) dims.push(parseDim(shape.subarray(d.start, d.end)));
      }
    }
  }
  return { dtype, dims };
}

function parseDim(bytes: Uint8Array): OnnxDim {
  for (const f of memoryFields(bytes)) {
    if (f.field === DIM.value && f.wireType === WireType.varint) return varintToInt(f.varint);
    if (f.field === DIM.param && f.wireType === WireType.bytes) return decodeString(bytes, f);
  }
  return "";
}
