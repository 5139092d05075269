// Small helpers: a valid PNG built by hand (this package has no image library) and capturing
// text outputs.

import { crc32, deflateSync } from "node:zlib";
import type { TextOutput } from "../src/index.js";

function chunk(type: string, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])) >>> 0, 0);
  return Buffer.concat([head, body, crc]);
}

/** A width x height RGB PNG with a gradient. */
export function makePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3); // filter byte 0 (none), then pixels
    for (let x = 0; x < width; x++) rows.set([x * 40, y * 60, 128], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

export class Capture implements TextOutput {
  text = "";
  readonly isTTY: boolean;
  readonly #onWrite: ((text: string) => void) | undefined;
  constructor(options: { isTTY?: boolean; onWrite?: (text: string) => void } = {}) {
    this.isTTY = options.isTTY ?? false;
    this.#onWrite = options.onWrite;
  }
  write(text: string): boolean {
    this.text += text;
    this.#onWrite?.(text);
    return true;
  }
}
