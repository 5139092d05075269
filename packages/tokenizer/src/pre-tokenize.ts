/**
 * CLIP's pre-tokenization: split cleaned, lower-cased text into the words BPE runs on.
 *
 * CLIP's pattern (Python `regex` module, IGNORECASE):
 *   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 *
 * Whitespace is never part of a word; letters run together; every digit is its own word
 * ("2024" -> "2","0","2","4"); other symbols run together; the literal special-token strings
 * and English contractions are words of their own.
 *
 * Written here without the `i` flag, which is equivalent because the text is already
 * lower-case, except for two characters where the `regex` module's case-insensitive matching
 * differs from JavaScript's and which are therefore spelled out (checked against the `regex`
 * module over every code point):
 *   - "'ſ" (U+017F LONG S folds to "s") is a contraction, like "'s";
 *   - U+0345 COMBINING YPOGEGRAMMENI (folds to a Greek letter) belongs to no word and is dropped.
 * `\s` is the White_Space property, as in the `regex` module.
 */
const CLIP_WORD =
  /<\|startoftext\|>|<\|endoftext\|>|'[s\u017f]|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}\u0345]+/gu;

/** Split cleaned text (see cleanText) into CLIP's pre-tokenization words. */
export function preTokenize(cleanText: string): string[] {
  return cleanText.match(CLIP_WORD) ?? [];
}
