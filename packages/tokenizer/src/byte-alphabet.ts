/**
 * The byte-level alphabet of GPT-2 and CLIP (`bytes_to_unicode` in CLIP's simple_tokenizer.py):
 * each of the 256 byte values gets one printable, non-whitespace character so that BPE can run
 * on ordinary strings and no merge ever sees a raw space or control byte.
 *
 * Bytes that are printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ': 188 of them) stand for
 * themselves; the other 68 (controls, space, NBSP, soft hyphen, ...) map to U+0100, U+0101, ...
 * in byte order. So the space byte 0x20 becomes 'Ġ' (U+0120).
 */

function isPrintableLatin1(byte: number): boolean {
  return (
    (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff)
  );
}

function buildByteToSymbol(): string[] {
  const symbols: string[] = [];
  let next = 0x100;
  for (let byte = 0; byte < 256; byte++) {
    symbols.push(String.fromCharCode(isPrintableLatin1(byte) ? byte : next++));
  }
  return symbols;
}

/** byte value (0..255) -> its one-character symbol. */
export const BYTE_TO_SYMBOL: readonly string[] = buildByteToSymbol();

/**
 * The 256 symbols in CLIP's vocabulary order: the printable bytes first (in byte order), then
 * the remapped ones. This is why "!" is id 0 and "a</w>" is 256 + 64 = 320 in CLIP's vocab.
 */
export const BYTE_ALPHABET: readonly string[] = [
  ...BYTE_TO_SYMBOL.filter((_, byte) => isPrintableLatin1(byte)),
  ...BYTE_TO_SYMBOL.filter((_, byte) => !isPrintableLatin1(byte)),
];

const utf8 = new TextEncoder();

/**
 * UTF-8 encode `text` and spell each byte with its symbol. Pure-ASCII text (the common case)
 * skips the encoder: its UTF-8 bytes are its char codes.
 */
export function toByteSymbols(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  let out = "";
  if (ascii) {
    for (let i = 0; i < text.length; i++) out += BYTE_TO_SYMBOL[text.charCodeAt(i)];
    return out;
  }
  for (const byte of utf8.encode(text)) out += BYTE_TO_SYMBOL[byte];
  return out;
}
