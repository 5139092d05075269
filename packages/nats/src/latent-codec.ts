// The latent message layout on emuedit.latents.<editId>: headers + payload, both directions.
//
// Headers (all values are decimal ASCII unless noted):
//   Emuedit-Step          steps done, 1-based (1..Emuedit-Total-Steps)
//   Emuedit-Total-Steps   steps of the whole edit
//   Emuedit-Timestep      scheduler timestep of the step just taken (may be fractional)
//   Emuedit-Dtype         latent dtype name: float32 | float16 | ...
//   Emuedit-Shape         latent shape, comma separated, e.g. "1,4,16,16"
//   Emuedit-Seed          uint32 seed of the edit (noise for step k = f(seed, k))
//   Emuedit-State-Count   number of scheduler state tensors after the latent (multistep history)
//   Emuedit-Payload-Bytes byte length of the payload described below
//   Emuedit-Object        only on reference messages: object name in LATENT_OBJECT_BUCKET
//   traceparent/tracestate  W3C trace context of the step's span, when given
//
// Payload (inline, or the object's content for reference messages, whose own payload is empty):
//   [latent: N * itemSize(dtype) bytes][state_0: N * 4 bytes]...[state_{S-1}: N * 4 bytes]
//   N = product(shape), S = Emuedit-State-Count; every value little-endian; state tensors are
//   float32 with the latent's shape whatever the latent's dtype.
import type { DTypeName, HostTensor, TensorData } from "@emuedit/tensors";
import { hostTensor, isDTypeName, itemSize, shapeSize } from "@emuedit/tensors";
import { CheckpointFormatError, LatentPublishArgumentError } from "./errors.js";

export const LatentHeader = {
  Step: "Emuedit-Step",
  TotalSteps: "Emuedit-Total-Steps",
  Timestep: "Emuedit-Timestep",
  Dtype: "Emuedit-Dtype",
  Shape: "Emuedit-Shape",
  Seed: "Emuedit-Seed",
  StateCount: "Emuedit-State-Count",
  PayloadBytes: "Emuedit-Payload-Bytes",
  Object: "Emuedit-Object",
  TraceParent: "traceparent",
  TraceState: "tracestate",
} as const;
export type LatentHeader = (typeof LatentHeader)[keyof typeof LatentHeader];

const TRACE_HEADERS = [LatentHeader.TraceParent, LatentHeader.TraceState] as const;

// Wire order is little-endian; typed arrays use the host's order (little-endian everywhere we run).
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("@emuedit/nats requires a little-endian host");
}

export interface LatentPublishInput {
  editId: string;
  /** Steps done, 1-based. */
  step: number;
  totalSteps: number;
  timestep: number;
  /** [1,C,h,w] in the scaled latent space. */
  latent: HostTensor;
  /** Multistep scheduler history (same element count as the latent, float32), for bit-identical resume. */
  schedulerState?: Float32Array[];
  /** uint32 */
  seed: number;
  /** W3C trace context (traceparent, tracestate); other keys are ignored. */
  traceContext?: Record<string, string>;
}

export interface LatentCheckpoint {
  editId: string;
  step: number;
  totalSteps: number;
  timestep: number;
  seed: number;
  latent: HostTensor;
  schedulerState: Float32Array[];
  traceContext: Record<string, string>;
}

const ARRAY_TYPES: Record<DTypeName, new (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData> = {
  float32: Float32Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
};

function isUint(value: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

/** Headers (without Emuedit-Object) and payload bytes of one latent. Copies the tensors once. */
export function encodeLatent(input: LatentPublishInput): { headers: Record<string, string>; payload: Uint8Array } {
  const { step, totalSteps, timestep, latent, seed } = input;
  const state = input.schedulerState ?? [];
  if (!isUint(totalSteps) || totalSteps < 1) throw new LatentPublishArgumentError(`totalSteps must be a positive integer, got ${totalSteps}`);
  if (!isUint(step) || step < 1 || step > totalSteps) {
    throw new LatentPublishArgumentError(`step must be an integer in [1, ${totalSteps}], got ${step}`);
  }
  if (!Number.isFinite(timestep)) throw new LatentPublishArgumentError(`timestep must be finite, got ${timestep}`);
  const n = shapeSize(latent.shape);
  const latentBytes = n * itemSize(latent.dtype);
  if (latent.data.byteLength !== latentBytes) {
    throw new LatentPublishArgumentError(`latent data has ${latent.data.byteLength} bytes, shape [${latent.shape}] ${latent.dtype} needs ${latentBytes}`);
  }
  state.forEach((s, i) => {
    if (s.length !== n) throw new LatentPublishArgumentError(`schedulerState[${i}] has ${s.length} elements, the latent has ${n}`);
  });

  const payload = new Uint8Array(latentBytes + state.length * n * 4);
  payload.set(new Uint8Array(latent.data.buffer, latent.data.byteOffset, latentBytes), 0);
  state.forEach((s, i) => payload.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), latentBytes + i * n * 4));

  const headers: Record<string, string> = {
    [LatentHeader.Step]: String(step),
    [LatentHeader.TotalSteps]: String(totalSteps),
    [LatentHeader.Timestep]: String(timestep),
    [LatentHeader.Dtype]: latent.dtype,
    [LatentHeader.Shape]: latent.shape.join(","),
    [LatentHeader.Seed]: String(seed),
    [LatentHeader.StateCount]: String(state.length),
    [LatentHeader.PayloadBytes]: String(payload.byteLength),
  };
  for (const key of TRACE_HEADERS) {
    const value = input.traceContext?.[key];
    if (value) headers[key] = value;
  }
  return { headers, payload };
}

function parseUint(get: (name: string) => string | undefined, name: string, max?: number): number {
  const raw = get(name);
  const value = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!isUint(value, max)) throw new CheckpointFormatError(`header ${name} must be an unsigned integer, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Rebuilds a checkpoint from headers (`get` looks one up) and the full payload (inline bytes or
 * the referenced object's bytes). Copies the payload, so the result owns aligned buffers.
 */
export function decodeLatent(
  editId: string,
  get: (name: string) => string | undefined,
  payload: Uint8Array,
): LatentCheckpoint {
  const step = parseUint(get, LatentHeader.Step);
  const totalSteps = parseUint(get, LatentHeader.TotalSteps);
  const seed = parseUint(get, LatentHeader.Seed, 0xffff_ffff);
  const stateCount = parseUint(get, LatentHeader.StateCount);
  const timestep = Number(get(LatentHeader.Timestep));
  if (!Number.isFinite(timestep)) throw new CheckpointFormatError(`header ${LatentHeader.Timestep} is not a number`);
  const dtype = get(LatentHeader.Dtype) ?? "";
  if (!isDTypeName(dtype)) throw new CheckpointFormatError(`header ${LatentHeader.Dtype} has unknown dtype ${JSON.stringify(dtype)}`);
  const shapeText = get(LatentHeader.Shape) ?? "";
  const shape = shapeText === "" ? [] : shapeText.split(",").map((d) => (/^\d+$/.test(d) ? Number(d) : NaN));
  if (shape.some((d) => !isUint(d))) throw new CheckpointFormatError(`header ${LatentHeader.Shape} is malformed: ${JSON.stringify(shapeText)}`);

  const n = shapeSize(shape);
  const latentBytes = n * itemSize(dtype);
  const expected = latentBytes + stateCount * n * 4;
  if (payload.byteLength !== expected) {
    throw new CheckpointFormatError(
      `payload has ${payload.byteLength} bytes, ${dtype} [${shape}] + ${stateCount} state tensors need ${expected}`,
    );
  }
  // A copy into a fresh ArrayBuffer at offset 0, aligned for every dtype. Not payload.slice():
  // NATS hands out Node Buffers, whose slice() is a view into a shared pool.
  const owned = new Uint8Array(payload);
  const latent = hostTensor(dtype, shape, new ARRAY_TYPES[dtype](owned.buffer, 0, n));
  const schedulerState: Float32Array[] = [];
  for (let i = 0; i < stateCount; i++) {
    const offset = latentBytes + i * n * 4;
    // A float16/uint8 latent with an odd element count leaves the state unaligned for float32.
    schedulerState.push(
      offset % 4 === 0
        ? new Float32Array(owned.buffer, offset, n)
        : new Float32Array(owned.buffer.slice(offset, offset + n * 4)),
    );
  }

  const traceContext: Record<string, string> = {};
  for (const key of TRACE_HEADERS) {
    const value = get(key);
    if (value) traceContext[key] = value;
  }
  return { editId, step, totalSteps, timestep, seed, latent, schedulerState, traceContext };
}
