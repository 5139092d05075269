/**
 * Python's `html.unescape` (Lib/html/__init__.py, Python 3.4+), reproduced exactly because
 * OpenAI CLIP runs every prompt through it twice. Its rules, which differ from a browser's in
 * the corner cases:
 *
 * - A reference is `&#<digits>;?`, `&#x<hex>;?` or `&<name>;?` where the name is 1..32
 *   characters other than tab, LF, FF, space, `<`, `&`, `#`, `;`.
 * - Numeric: code points listed in INVALID_CHARREFS are replaced (0 -> U+FFFD, 0x80..0x9F ->
 *   their Windows-1252 characters); surrogates and values past U+10FFFF give U+FFFD; the
 *   "invalid code points" of HTML5 (most C0/C1 controls, U+FDD0..U+FDEF, U+xFFFE/U+xFFFF)
 *   give the empty string; anything else gives the character.
 * - Named: an exact match in the HTML5 table wins; otherwise the longest prefix (at least two
 *   characters) that is a table key wins and the rest of the name is kept as text, which only
 *   ever matches the legacy names that may omit ";" ("&ampfoo" -> "&foo"); otherwise the text
 *   is left alone.
 */

import { HTML5_NAMED_REFERENCES } from "./html-entities.generated.js";

/** Python's html._invalid_charrefs: numeric references that are replaced, not decoded. */
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, "\ufffd"],
  [0x0d, "\r"],
  // 0x80..0x9F are read as Windows-1252, as browsers do; 81, 8D, 8F, 90, 9D are undefined
  // there and stay as the C1 control characters.
  ...Array.from("\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f" +
    "\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178",
    (char, i): [number, string] => [0x80 + i, char]),
]);

/** Python's html._invalid_codepoints: numeric references to these decode to nothing. */
function isInvalidCodePoint(cp: number): boolean {
  return (
    (cp >= 0x1 && cp <= 0x8) ||
    cp === 0xb ||
    (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe // U+FFFE, U+FFFF, U+1FFFE, ... U+10FFFF
  );
}

// `u`: the name's {1,32} counts code points, as Python's `re` does.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

function decodeNumeric(reference: string): string {
  const hex = reference[1] === "x" || reference[1] === "X";
  const digits = reference.slice(hex ? 2 : 1).replace(/;$/, "");
  // parseInt loses precision past 2^53, but every such value is > 0x10FFFF either way.
  const cp = Number.parseInt(digits, hex ? 16 : 10);
  const replaced = INVALID_CHARREFS.get(cp);
  if (replaced !== undefined) return replaced;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return "\ufffd";
  if (isInvalidCodePoint(cp)) return "";
  return String.fromCodePoint(cp);
}

function decodeNamed(name: string): string {
  const exact = HTML5_NAMED_REFERENCES.get(name);
  if (exact !== undefined) return exact;
  for (let end = name.length - 1; end > 1; end--) {
    const prefix = HTML5_NAMED_REFERENCES.get(name.slice(0, end));
    if (prefix !== undefined) return prefix + name.slice(end);
  }
  return `&${name}`;
}

/** Decode HTML character references in `text` exactly like Python's `html.unescape`. */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARREF, (_match, reference: string) =>
    reference.startsWith("#") ? decodeNumeric(reference) : decodeNamed(reference),
  );
}
