/**
 * The deterministic part of `ftfy.fix_text` (ftfy 6.x, default settings), which OpenAI CLIP
 * applies to every prompt before anything else.
 *
 * Reproduced, in ftfy's order and, like ftfy, repeated until the text stops changing:
 *   unescape_html       "&eacute;" -> "é" (names ending in ";" only, plus all-caps Latin ones
 *                       such as "&EACUTE;"); off from the first line containing "<" onwards
 *   fix_c1_controls     U+0080..U+009F -> their Windows-1252 characters ("\x93" -> '"')
 *   fix_latin_ligatures "ﬁ" -> "fi", "Ǆ" -> "DŽ", ...
 *   fix_character_width fullwidth/halfwidth forms -> standard width ("ＡＢＣ" -> "ABC"), U+3000 -> " "
 *   uncurl_quotes       ‘ ’ ‚ ‛ ʼ -> ', “ ” „ ‟ -> "
 *   fix_line_breaks     CRLF, CR, U+2028, U+2029, U+0085 -> LF
 *   fix_surrogates      lone UTF-16 surrogates -> U+FFFD
 *   remove_terminal_escapes  ANSI "ESC [ ... letter" sequences removed
 *   remove_control_chars     C0 controls but TAB LF FF CR, DEL, U+206A..U+206F, BOM, U+FFF9..U+FFFC removed
 *   NFC normalization
 *
 * Not reproduced: `fix_encoding` (mojibake repair such as "cafÃ©" -> "café", with its
 * sub-steps restore_byte_a0, replace_lossy_sequences, decode_inconsistent_utf8). It is a
 * statistical heuristic over ftfy's "badness" tables and legacy codecs; it only changes text
 * that already looks like mis-decoded UTF-8, which a typed instruction is not. Also not
 * reproduced: ftfy's 1,000,000-code-point cap on one segment, which only bounds that
 * heuristic's run time.
 */

import { HTML5_NAMED_REFERENCES } from "./html-entities.generated.js";
import { htmlUnescape } from "./html-unescape.js";

/** ftfy.chardata.HTML_ENTITIES: "&name;" -> text, built like ftfy builds it, on first use. */
let ftfyEntities: Map<string, string> | undefined;

function getFtfyEntities(): Map<string, string> {
  if (ftfyEntities) return ftfyEntities;
  const entities = new Map<string, string>();
  for (const [name, text] of HTML5_NAMED_REFERENCES) {
    if (!name.endsWith(";")) continue;
    entities.set(`&${name}`, text);
    // All-caps variants of all-lowercase names, unless the caps spelling already means
    // something to html.unescape ("&NTILDE;" -> "Ñ" is added, "&LT;" is a real entity).
    if (name === name.toLowerCase()) {
      const upper = `&${name.toUpperCase()}`;
      if (htmlUnescape(upper) === upper) entities.set(upper, text.toUpperCase());
    }
  }
  ftfyEntities = entities;
  return entities;
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  const entities = getFtfyEntities();
  return text.replace(FTFY_ENTITY, (match) => {
    const known = entities.get(match);
    if (known !== undefined) return known;
    if (match.startsWith("&#")) {
      // A numeric reference counts only if html.unescape consumed it whole, ";" included.
      const decoded = htmlUnescape(match);
      return decoded.includes(";") ? match : decoded;
    }
    return match;
  });
}

// U+0080..U+009F read as "sloppy" Windows-1252: the five bytes Windows-1252 leaves undefined
// (81, 8D, 8F, 90, 9D) stay as they are.
const WINDOWS_1252_C1 =
  "\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f" +
  "\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178";
const C1_CONTROL = /[\x80-\x9f]/g;

function fixC1Controls(text: string): string {
  return text.replace(C1_CONTROL, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80] ?? c);
}

const LIGATURES: Readonly<Record<string, string>> = {
  "\u0132": "IJ", "\u0133": "ij", "\u0149": "\u02bcn",
  "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz",
  "\u01c4": "D\u017d", "\u01c5": "D\u017e", "\u01c6": "d\u017e",
  "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj",
  "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj",
  "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
  "\ufb05": "\u017ft", "\ufb06": "st",
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join("")}]`, "g");

/** ftfy's width map: U+3000 -> " ", and each U+FF01..U+FFEF whose NFKC form differs -> that form. */
function buildWidthMap(): Map<string, string> {
  const map = new Map<string, string>([["\u3000", " "]]);
  for (let cp = 0xff01; cp < 0xfff0; cp++) {
    const char = String.fromCharCode(cp);
    const normal = char.normalize("NFKC");
    if (normal !== char) map.set(char, normal);
  }
  return map;
}
const WIDTH_MAP = buildWidthMap();
const WIDE_OR_NARROW = /[\u3000\uff01-\uffef]/g;

const SINGLE_QUOTE = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTE = /[\u201c-\u201f]/g;
const LINE_BREAK = /\r\n|[\r\u2028\u2029\x85]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Python's \d (ftfy's pattern) is any decimal digit, not only ASCII.
const TERMINAL_ESCAPE = /\x1b\[[\p{Nd};]*[a-zA-Z]/gu;
const CONTROL_CHAR = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/g;

function fixSegment(segment: string, unescape: boolean): string {
  let text = segment;
  for (;;) {
    const before = text;
    if (unescape) text = unescapeHtml(text);
    text = fixC1Controls(text);
    text = text.replace(LIGATURE, (c) => LIGATURES[c] ?? c);
    text = text.replace(WIDE_OR_NARROW, (c) => WIDTH_MAP.get(c) ?? c);
    text = text.replace(DOUBLE_QUOTE, '"').replace(SINGLE_QUOTE, "'");
    text = text.replace(LINE_BREAK, "\n");
    text = text.replace(LONE_SURROGATE, "\ufffd");
    text = text.replace(TERMINAL_ESCAPE, "");
    text = text.replace(CONTROL_CHAR, "");
    text = text.normalize("NFC");
    if (text === before) return text;
  }
}

/**
 * `ftfy.fix_text(text)` without mojibake repair (see the file comment). Like ftfy, it fixes
 * the text line by line, and once a line contains "<" (it may be HTML, where "&" is literal)
 * HTML unescaping stays off for that line and every later one.
 */
export function fixText(text: string): string {
  let unescape = true;
  let out = "";
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf("\n", start);
    const end = newline < 0 ? text.length : newline + 1;
    const segment = text.slice(start, end);
    if (unescape && segment.includes("<")) unescape = false;
    out += fixSegment(segment, unescape);
    start = end;
  }
  return out;
}
