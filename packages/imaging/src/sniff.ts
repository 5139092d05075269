// Names a few well-known image formats that libvips (as shipped with sharp) cannot load or
// that we refuse, so such uploads get "unsupported_image_format" instead of "invalid_image".
// Only consulted after sharp failed to identify the bytes.

interface Signature {
  readonly format: string;
  /** Byte offset of `magic`. */
  readonly offset: number;
  readonly magic: readonly number[];
}

const ascii = (s: string): number[] => [...s].map((ch) => ch.charCodeAt(0));

const SIGNATURES: readonly Signature[] = [
  { format: "bmp", offset: 0, magic: ascii("BM") },
  { format: "ico", offset: 0, magic: [0x00, 0x00, 0x01, 0x00] },
  { format: "psd", offset: 0, magic: ascii("8BPS") },
  { format: "qoi", offset: 0, magic: ascii("qoif") },
  { format: "jxl", offset: 0, magic: [0xff, 0x0a] },
  { format: "jxl", offset: 4, magic: ascii("JXL ") },
  { format: "jp2", offset: 4, magic: ascii("jP  ") },
  // ISO-BMFF with an HEIF brand (HEVC-coded HEIC; AVIF is recognised by sharp itself).
  { format: "heic", offset: 4, magic: ascii("ftypheic") },
  { format: "heic", offset: 4, magic: ascii("ftypheix") },
  { format: "heic", offset: 4, magic: ascii("ftypmif1") },
];

/** A format name when `bytes` starts like a known image format, else undefined. */
export function sniffKnownFormat(bytes: Uint8Array): string | undefined {
  for (const sig of SIGNATURES) {
    if (bytes.length < sig.offset + sig.magic.length) continue;
    if (sig.magic.every((b, i) => bytes[sig.offset + i] === b)) return sig.format;
  }
  return undefined;
}
