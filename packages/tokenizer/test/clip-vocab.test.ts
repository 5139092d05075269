/**
 * The tokenizer on the real CLIP vocabulary. Expected ids come from an independent Python
 * implementation of OpenAI CLIP's SimpleTokenizer with the real ftfy and `regex` packages
 * (scripts/reference-ids.py), except "a photo of a cat", which is CLIP's published example.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClipTokenizer } from "../src/index.js";
import { CLIP_VOCAB_SIZE, writeClipTokenizerFiles, type ClipFixture } from "./helpers/clip-fixture.js";

const BOS = 49406;
const EOS = 49407;

let fixture: ClipFixture;
let clip: ClipTokenizer;

before(() => {
  fixture = writeClipTokenizerFiles();
  clip = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath);
});
after(() => fixture.remove());

/** [text, ids] pairs from scripts/reference-ids.py. */
const REFERENCE: ReadonlyArray<readonly [string, readonly number[]]> = [
  ["a photo of a cat", [BOS, 320, 1125, 539, 320, 2368, EOS]],
  ["", [BOS, EOS]],
  ["Hello, World!!!", [BOS, 3306, 267, 1002, 995, EOS]],
  ["make it... better?!", [BOS, 1078, 585, 678, 1539, 2835, EOS]],
  ["it's", [BOS, 585, 568, EOS]],
  ["don't", [BOS, 847, 713, EOS]],
  ["they're we've I'm you'll he'd", [BOS, 889, 982, 649, 1200, 328, 880, 592, 1342, 797, 1896, EOS]],
  ["l'été", [BOS, 331, 262, 3459, 39694, EOS]],
  ["2024", [BOS, 273, 271, 273, 275, EOS]],
  ["3.14", [BOS, 274, 269, 272, 275, EOS]],
  ["x²", [BOS, 343, 41175, EOS]],
  ["½", [BOS, 33613, EOS]],
  ["café naïve", [BOS, 15304, 1097, 35689, 563, EOS]],
  ["ΟΔΟΣ", [BOS, 138, 123, 138, 112, 138, 123, 139, 480, EOS]],
  ["猫 🐱", [BOS, 163, 234, 360, 22979, EOS]],
  ["日本語", [BOS, 39121, 44353, 34002, 508, EOS]],
  ["👍🏽", [BOS, 43722, EOS]],
  ["🇫🇷", [BOS, 16223, EOS]],
  ["👨‍👩‍👧", [BOS, 25023, 26304, 964, 356, EOS]],
  ["  a   b\t\nc  ", [BOS, 320, 321, 322, EOS]],
  ["&amp;lt;b&amp;gt;", [BOS, 283, 321, 285, EOS]],
  ["Tom &amp; Jerry", [BOS, 2435, 261, 9164, EOS]],
  ["&NTILDE;", [BOS, 127, 365, EOS]],
  ["ﬁne", [BOS, 3797, EOS]],
  ["ＣＡＴ", [BOS, 2368, EOS]],
  ["\u001b[31mred\u001b[0m", [BOS, 736, EOS]],
  ["a<|endoftext|>b", [BOS, 320, EOS, 321, EOS]],
  [
    "turn the sky into a starry night, like van gogh's painting",
    [BOS, 2105, 518, 2390, 1095, 320, 30963, 930, 267, 789, 2451, 19697, 568, 3086, EOS],
  ],
  [
    "add a red hat to the dog (in 1990s style) #vintage",
    [BOS, 3536, 320, 736, 3801, 531, 518, 1929, 263, 530, 272, 280, 280, 271, 338, 1844, 264, 258, 3266, EOS],
  ],
];

describe("clip vocabulary", () => {
  test("clip vocabulary - sizes and special ids match CLIP", () => {
    assert.equal(clip.vocabSize, CLIP_VOCAB_SIZE);
    assert.equal(clip.bosTokenId, BOS);
    assert.equal(clip.eosTokenId, EOS);
    assert.equal(clip.unkTokenId, EOS);
    assert.equal(clip.modelMaxLength, 77);
    assert.equal(clip.padTokenId, 0, "no configuration: pad id 0 like clip.tokenize");
  });

  for (const [text, ids] of REFERENCE) {
    test(`clip vocabulary - encode ${JSON.stringify(text)} matches the reference`, () => {
      assert.deepEqual(clip.encode(text), ids);
    });
  }

  test("clip vocabulary - tokenize shows the BPE pieces with word ends", () => {
    assert.deepEqual(clip.tokenize("a photo of a cat"), ["a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"]);
    assert.deepEqual(clip.tokenize("2024"), ["2</w>", "0</w>", "2</w>", "4</w>"]);
  });

  test("clip vocabulary - case, curly quotes, NFD and whitespace do not change ids", () => {
    assert.deepEqual(clip.encode("A PHOTO OF A CAT"), clip.encode("a photo of a cat"));
    assert.deepEqual(clip.encode("it’s"), clip.encode("it's"));
    assert.deepEqual(clip.encode("cafe\u0301"), clip.encode("café"));
    assert.deepEqual(clip.encode("\u3000a\u00a0\u2003photo \n\n of\ta cat "), clip.encode("a photo of a cat"));
  });

  test("clip vocabulary - a word cached earlier encodes the same later", () => {
    const text = "remove the background and make the sky purple";
    assert.deepEqual(clip.encode(text), clip.encode(text));
  });

  test("clip vocabulary - encodePadded truncates to 77 keeping the end token", () => {
    const long = Array.from({ length: 100 }, (_, i) => `word${i}`).join(" ");
    const full = clip.encode(long);
    assert.ok(full.length > 77);
    const padded = clip.encodePadded(long);
    assert.equal(padded.length, 77);
    assert.deepEqual(padded.slice(0, 76), full.slice(0, 76));
    assert.equal(padded[76], EOS);
  });

  test("clip vocabulary - encodePadded with exactly 77 ids keeps them all", () => {
    const text = Array.from({ length: 75 }, () => "a").join(" ");
    const ids = clip.encodePadded(text);
    assert.deepEqual(ids, [BOS, ...Array<number>(75).fill(320), EOS]);
  });

  test("clip vocabulary - Stable Diffusion 1.x config pads with <|endoftext|>", () => {
    const sd1 = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath, {
      pad_token: "<|endoftext|>",
      model_max_length: 77,
    });
    assert.equal(sd1.padTokenId, EOS);
    assert.deepEqual(sd1.encodePadded("a cat", 8), [BOS, 320, 2368, EOS, EOS, EOS, EOS, EOS]);
  });

  test("clip vocabulary - Stable Diffusion 2.x config pads with '!' (id 0)", () => {
    const configPath = join(fixture.dir, "sd2_tokenizer_config.json");
    writeFileSync(configPath, JSON.stringify({ pad_token: "!", model_max_length: 77 }));
    const sd2 = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath, configPath);
    assert.equal(sd2.padTokenId, 0);
    assert.deepEqual(sd2.encodePadded("a cat", 6), [BOS, 320, 2368, EOS, 0, 0]);
  });

  test("clip vocabulary - encodeBatch int64 is a row-major [n,77] BigInt64Array", () => {
    const sd1 = ClipTokenizer.fromFiles(fixture.vocabPath, fixture.mergesPath, { pad_token: { content: "<|endoftext|>" } });
    const batch = sd1.encodeBatch(["a photo of a cat", ""]);
    assert.ok(batch.ids instanceof BigInt64Array);
    assert.deepEqual(batch.shape, [2, 77]);
    assert.equal(batch.dtype, "int64");
    assert.deepEqual(Array.from(batch.ids.subarray(0, 8), Number), [BOS, 320, 1125, 539, 320, 2368, EOS, EOS]);
    assert.deepEqual(Array.from(batch.ids.subarray(77, 80), Number), [BOS, EOS, EOS]);
    assert.equal(batch.ids[153], BigInt(EOS));
  });

  test("clip vocabulary - encodeBatch int32 matches encodePadded row by row", () => {
    const texts = ["make it snowy", "", "add fireworks to the night sky"];
    const batch = clip.encodeBatch(texts, { length: 16, dtype: "int32" });
    assert.ok(batch.ids instanceof Int32Array);
    assert.deepEqual(batch.shape, [3, 16]);
    texts.forEach((text, row) => {
      assert.deepEqual(Array.from(batch.ids.subarray(row * 16, row * 16 + 16)), clip.encodePadded(text, 16));
    });
  });

  test("clip vocabulary - fromDirectory reads the config and lets special_tokens_map override it", () => {
    writeFileSync(join(fixture.dir, "tokenizer_config.json"), JSON.stringify({ pad_token: "!", model_max_length: 77 }));
    writeFileSync(
      join(fixture.dir, "special_tokens_map.json"),
      JSON.stringify({ pad_token: { content: "<|endoftext|>", lstrip: false, normalized: true } }),
    );
    const tokenizer = ClipTokenizer.fromDirectory(fixture.dir);
    assert.equal(tokenizer.padTokenId, EOS);
    assert.deepEqual(tokenizer.encode("a photo of a cat"), [BOS, 320, 1125, 539, 320, 2368, EOS]);
  });
});
