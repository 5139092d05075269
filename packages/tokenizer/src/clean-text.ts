/**
 * The text cleanup OpenAI CLIP applies before pre-tokenization (simple_tokenizer.py):
 *
 *   basic_clean:      ftfy.fix_text -> html.unescape(html.unescape(.)) -> strip
 *   whitespace_clean: every run of whitespace -> one " ", strip
 *   then:             lower()
 *
 * "Whitespace" follows the Python `regex` module CLIP uses: `\s` is the Unicode White_Space
 * property (which includes U+0085 and excludes U+FEFF, unlike JavaScript's `\s`), and
 * `str.strip()` also drops U+001C..U+001F. See ftfy-fixes.ts for which ftfy steps run.
 */

import { fixText } from "./ftfy-fixes.js";
import { htmlUnescape } from "./html-unescape.js";

const WHITESPACE_RUN = /\p{White_Space}+/gu;
// Python's str.isspace(): White_Space plus the information separators U+001C..U+001F.
const PY_STRIP_START = /^[\p{White_Space}\x1c-\x1f]+/u;
const PY_STRIP_END = /[\p{White_Space}\x1c-\x1f]+$/u;
// Text made only of these needs none of the ftfy or HTML fixes: they all leave it unchanged.
const PLAIN_ASCII = /^[\x20-\x25\x27-\x3b\x3d-\x7e\t\n]*$/;

function pythonStrip(text: string): string {
  return text.replace(PY_STRIP_START, "").replace(PY_STRIP_END, "");
}

/** Clean `text` exactly as CLIP's `whitespace_clean(basic_clean(text)).lower()` does. */
export function cleanText(text: string): string {
  let clean = text;
  if (!PLAIN_ASCII.test(clean)) {
    clean = pythonStrip(htmlUnescape(htmlUnescape(fixText(clean))));
  }
  return pythonStrip(clean.replace(WHITESPACE_RUN, " ")).toLowerCase();
}
