// Just enough of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/) to
// walk an ONNX file: varints, length-delimited fields, and skipping everything else. Two readers:
// `WireCursor` decodes a small message held in memory; `FileFields` walks the fields of a message
// inside a file with positional reads, so multi-GB initializers are skipped, never read.
import type { FileHandle } from "node:fs/promises";
import { EmueditError, Status } from "@emuedit/errors";

export const WireType = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

export class WireFormatError extends EmueditError {
  override name = "WireFormatError";
  constructor(message: string) {
    super(Status.Internal, message);
  }
}

/** One field of a message: `start`/`end` bound the value bytes (for varints, the varint itself). */
export interface WireField {
  readonly field: number;
  readonly wireType: WireType;
  readonly start: number;
  readonly end: number;
  /** The decoded value for varint fields, 0n otherwise. */
  readonly varint: bigint;
}

const MAX_VARINT_BYTES = 10;

/** Decodes a varint from `bytes` at `pos`; returns the value and the number of bytes it took. */
export function decodeVarint(bytes: Uint8Array, pos: number): { value: bigint; size: number } {
  let value = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const b = bytes[pos + i];
    if (b === undefined) throw new WireFormatError(`truncated varint at byte ${pos}`);
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) return { value, size: i + 1 };
  }
  throw new WireFormatError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${pos}`);
}

function checkWireType(wt: number, at: number): WireType {
  if (wt === WireType.startGroup || wt === WireType.endGroup) {
    throw new WireFormatError(`group wire type ${wt} at byte ${at} (not used by ONNX)`);
  }
  if (wt > WireType.fixed32) throw new WireFormatError(`invalid wire type ${wt} at byte ${at}`);
  return wt as WireType;
}

/** Iterates the fields of one in-memory message. */
export function* memoryFields(bytes: Uint8Array): Generator<WireField> {
  let pos = 0;
  while (pos < bytes.length) {
    const tagAt = pos;
    const tag = decodeVarint(bytes, pos);
    pos += tag.size;
    const wireType = checkWireType(Number(tag.value & 7n), tagAt);
    const field = Number(tag.value >> 3n);
    const f = fieldAt(bytes, pos, field, wireType);
    if (f.end > bytes.length) throw new WireFormatError(`field ${field} at byte ${tagAt} runs past the message end`);
    pos = f.end;
    yield f;
  }
}

function fieldAt(bytes: Uint8Array, pos: number, field: number, wireType: WireType): WireField {
  switch (wireType) {
    case WireType.varint: {
      const v = decodeVarint(bytes, pos);
      return { field, wireType, start: pos, end: pos + v.size, varint: v.value };
    }
    case WireType.fixed64:
      return { field, wireType, start: pos, end: pos + 8, varint: 0n };
    case WireType.fixed32:
      return { field, wireType, start: pos, end: pos + 4, varint: 0n };
    default: {
      const len = decodeVarint(bytes, pos);
      const start = pos + len.size;
      return { field, wireType, start, end: start + Number(len.value), varint: 0n };
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export function decodeString(bytes: Uint8Array, f: WireField): string {
  return utf8.decode(bytes.subarray(f.start, f.end));
}

/** Signed int64 as a JS number (ONNX dims and enums are small; -1 encodes as a 10-byte varint). */
export function varintToInt(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

/**
 * Positional reads from an open file through one reusable window, so walking thousands of small
 * fields costs a handful of read() calls while large values are skipped by offset arithmetic.
 */
export class FileFields {
  private window = new Uint8Array(0);
  private windowStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly windowBytes = 1 << 16,
  ) {}

  /** `n` bytes at `pos` (a view into the window when they fit, else a fresh buffer). */
  async bytes(pos: number, n: number): Promise<Uint8Array> {
    if (pos < 0 || pos + n > this.size) {
      throw new WireFormatError(`read of ${n} bytes at ${pos} past the end of the file (${this.size} bytes)`);
    }
    const off = pos - this.windowStart;
    if (off >= 0 && off + n <= this.window.length) return this.window.subarray(off, off + n);
    const want = Math.min(Math.max(n, this.windowBytes), this.size - pos);
    const buf = new Uint8Array(want);
    const { bytesRead } = await this.fh.read(buf, 0, want, pos);
    if (bytesRead < n) throw new WireFormatError(`short read at byte ${pos}`);
    this.window = buf.subarray(0, bytesRead);
    this.windowStart = pos;
    return this.window.subarray(0, n);
  }

  /** Iterates the fields of the message occupying bytes [start, end) of the file. */
  async *fields(start: number, end: number): AsyncGenerator<WireField> {
    let pos = start;
    while (pos < end) {
      const head = await this.bytes(pos, Math.min(2 * MAX_VARINT_BYTES, end - pos));
      const tag = decodeVarint(head, 0);
      const wireType = checkWireType(Number(tag.value & 7n), pos);
      const field = Number(tag.value >> 3n);
      const local = fieldAt(head, tag.size, field, wireType);
      const f: WireField = { ...local, start: pos + local.start, end: pos + local.end };
      if (f.end > end) throw new WireFormatError(`field ${field} at byte ${pos} runs past its message (byte ${end})`);
      pos = f.end;
      yield f;
    }
  }
}
