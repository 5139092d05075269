/**
 * Text cleanup and pre-tokenization. Expected strings were produced by Python 3.11 with
 * ftfy 6.3.1 (fix_encoding off, see src/ftfy-fixes.ts) and the `regex` module, running
 * CLIP's `whitespace_clean(basic_clean(text)).lower()` and `html.unescape`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanText, preTokenize } from "../src/index.js";
import { htmlUnescape } from "../src/html-unescape.js";
import { fixText } from "../src/ftfy-fixes.js";

const UNESCAPE: ReadonlyArray<readonly [string, string]> = [
  ["&ampfoo", "&foo"],
  ["&amp", "&"],
  ["&#0;", "\ufffd"],
  ["&#x80;", "\u20ac"],
  ["&#150", "\u2013"],
  ["&#1;", ""],
  ["&#13;", "\r"],
  ["&notit;", "\u00acit;"],
  ["&notin;", "\u2209"],
  ["&lt", "<"],
  ["&#x110000;", "\ufffd"],
  ["&#xD800;", "\ufffd"],
  ["&#65;&#x42;&#X43", "ABC"],
  ["&unknown;", "&unknown;"],
  ["a & b", "a & b"],
  ["&#;", "&#;"],
  ["&#xFFFE;", ""],
  ["&Eacute;&eacute", "\u00c9\u00e9"],
  ["&ntilde;&NTILDE;", "\u00f1&NTILDE;"],
];

const CLEAN: ReadonlyArray<readonly [string, string]> = [
  ["&NTILDE; &ntilde;", "\u00f1 \u00f1"],
  ["&amp;amp;amp;amp;", "&"],
  ["<b>&amp;amp;amp;</b>", "<b>&amp;</b>"],
  ["x < y &amp;amp;amp;\nnext &amp;amp;amp;", "x < y &amp; next &amp;"],
  ["\u201cHello\u201d \u2018world\u2019", "\"hello\" 'world'"],
  ["\ufb01sh \ufb02ower \u0132", "fish flower ij"],
  ["\uff21\uff22\uff23\u3000\uff11\uff12\uff13", "abc 123"],
  ["a\u0000b\u0007c\u007fd\ufeffe", "abcde"],
  ["\u0093quoted\u0094 \u0080", "\"quoted\" \u20ac"],
  ["line\r\nbreak\u2028x\u0085y", "line break x\u2026y"],
  ["\u001b[1;31mred\u001b[0m", "red"],
  ["cafe\u0301", "caf\u00e9"],
  ["  \u3000 lots \u00a0\u2003 of   space \u001c ", "lots of space"],
  ["\u200bzero\u200bwidth", "\u200bzero\u200bwidth"],
  ["\u039f\u0394\u039f\u03a3 \u0130", "\u03bf\u03b4\u03bf\u03c2 i\u0307"],
  ["A&#x301;", "\u00e1"],
  ["x\ud800y", "x\ufffdy"],
];

describe("html unescape", () => {
  for (const [input, expected] of UNESCAPE) {
    test(`html unescape - ${JSON.stringify(input)} as Python's html.unescape`, () => {
      assert.equal(htmlUnescape(input), expected);
    });
  }
});

describe("clean text", () => {
  for (const [input, expected] of CLEAN) {
    test(`clean text - ${JSON.stringify(input)} as CLIP's basic_clean + whitespace_clean + lower`, () => {
      assert.equal(cleanText(input), expected);
    });
  }

  test("clean text - plain ASCII takes the fast path with the same result", () => {
    assert.equal(cleanText("  Make The SKY   purple\t"), "make the sky purple");
  });

  test("clean text - ftfy unescaping stops from the first line that contains '<'", () => {
    assert.equal(fixText("&eacute;\n<b>&eacute;\n&eacute;"), "\u00e9\n<b>&eacute;\n&eacute;");
  });
});

describe("pre-tokenize", () => {
  test("pre-tokenize - splits letters, single digits, symbol runs and contractions", () => {
    assert.deepEqual(preTokenize("it's 2024!! ok"), ["it", "'s", "2", "0", "2", "4", "!!", "ok"]);
    assert.deepEqual(preTokenize("we're,you'll"), ["we", "'re", ",", "you", "'ll"]);
  });

  test("pre-tokenize - keeps the literal special tokens whole", () => {
    assert.deepEqual(preTokenize("a<|startoftext|>b<|endoftext|>"), ["a", "<|startoftext|>", "b", "<|endoftext|>"]);
  });

  test("pre-tokenize - follows the regex module on long s and ypogegrammeni", () => {
    assert.deepEqual(preTokenize("it'\u017f"), ["it", "'\u017f"]);
    assert.deepEqual(preTokenize("a\u0345b"), ["a", "b"]);
  });
});
