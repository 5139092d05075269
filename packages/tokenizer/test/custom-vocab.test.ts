/**
 * A tiny hand-written vocabulary: merge order, unknown pieces, every pad-token configuration
 * and every loading error, with ids small enough to check by hand.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ClipTokenizer,
  MergesFormatError,
  SpecialTokenNotInVocabError,
  TokenizerConfigError,
  TokenizerError,
  TokenizerFileError,
  UnknownMergeTokenError,
  VocabFormatError,
  type TokenizerConfig,
} from "../src/index.js";

// Symbols are byte-level characters; for ASCII letters that is the letter itself.
const VOCAB: Readonly<Record<string, number>> = {
  "!": 0,
  a: 1,
  b: 2,
  c: 3,
  "a</w>": 4,
  "b</w>": 5,
  "c</w>": 6,
  ab: 7,
  "bc</w>": 8,
  "abc</w>": 9,
  "<|startoftext|>": 10,
  "<|endoftext|>": 11,
  "<pad>": 12,
};
// Rank 0: "a b", rank 1: "b c</w>", rank 2: "ab c</w>".
const MERGES = "#version: 0.2\na b\nb c</w>\nab c</w>\n";

let dir: string;
let vocabPath: string;
let mergesPath: string;

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function tiny(config?: TokenizerConfig | string): ClipTokenizer {
  return ClipTokenizer.fromFiles(vocabPath, mergesPath, config);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "emuedit-tiny-tokenizer-"));
  vocabPath = write("vocab.json", JSON.stringify(VOCAB));
  mergesPath = write("merges.txt", MERGES);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("custom vocabulary", () => {
  test("custom vocabulary - lowest rank merges first, every occurrence, left to right", () => {
    // "abc": a b c</w> -> (rank 0) ab c</w> -> (rank 2) abc</w>; rank 1 "b c</w>" never applies.
    assert.deepEqual(tiny().tokenize("abc"), ["abc</w>"]);
    // "bc": b c</w> -> (rank 1) bc</w>
    assert.deepEqual(tiny().tokenize("bc"), ["bc</w>"]);
    // "abab": a b a b</w> -> ab a b</w>: the last pair is "a b</w>", which has no rule.
    assert.deepEqual(tiny().tokenize("abab"), ["ab", "a", "b</w>"]);
    assert.deepEqual(tiny().encode("ABC bc"), [10, 9, 8, 11]);
  });

  test("custom vocabulary - pieces missing from the vocabulary become the unk token", () => {
    assert.deepEqual(tiny().encode("z"), [10, 11, 11]);
    assert.deepEqual(tiny({ unk_token: "<pad>" }).encode("z a"), [10, 12, 4, 11]);
  });

  test("custom vocabulary - no configuration pads with id 0", () => {
    const tokenizer = tiny();
    assert.equal(tokenizer.padTokenId, 0);
    assert.deepEqual(tokenizer.encodePadded("a", 5), [10, 4, 11, 0, 0]);
  });

  test("custom vocabulary - pad_token null or absent pads with id 0", () => {
    assert.equal(tiny({ pad_token: null }).padTokenId, 0);
    assert.equal(tiny({ model_max_length: 77 }).padTokenId, 0);
  });

  test("custom vocabulary - pad_token as a string or an AddedToken object", () => {
    assert.equal(tiny({ pad_token: "<pad>" }).padTokenId, 12);
    assert.equal(tiny({ pad_token: "<|endoftext|>" }).padTokenId, 11);
    assert.equal(tiny({ pad_token: "!" }).padTokenId, 0);
    const object = tiny({ pad_token: { content: "<pad>", lstrip: false, rstrip: false, __type: "AddedToken" } });
    assert.equal(object.padTokenId, 12);
    assert.deepEqual(object.encodePadded("a b", 6), [10, 4, 5, 11, 12, 12]);
  });

  test("custom vocabulary - model_max_length sets the default padded length", () => {
    const tokenizer = tiny({ pad_token: "<pad>", model_max_length: 4 });
    assert.equal(tokenizer.modelMaxLength, 4);
    assert.deepEqual(tokenizer.encodePadded("a"), [10, 4, 11, 12]);
    assert.deepEqual(tokenizer.encodePadded("a b c a"), [10, 4, 5, 11]);
    assert.deepEqual(tokenizer.encodeBatch(["a"]).shape, [1, 4]);
  });

  test("custom vocabulary - Hugging Face's 'no limit' model_max_length means 77", () => {
    assert.equal(tiny({ model_max_length: 1e30 }).modelMaxLength, 77);
  });

  test("custom vocabulary - lengths below 2 and unknown dtypes are rejected", () => {
    assert.throws(() => tiny().encodePadded("a", 1), RangeError);
    assert.throws(() => tiny().encodeBatch(["a"], { length: 0 }), RangeError);
    assert.throws(() => tiny().encodeBatch(["a"], { dtype: "int16" as "int32" }), RangeError);
  });

  test("custom vocabulary - a tiny word cache still gives the same ids", () => {
    const tokenizer = ClipTokenizer.fromFiles(vocabPath, mergesPath, undefined, { bpeCacheMaxWords: 1 });
    const uncached = ClipTokenizer.fromFiles(vocabPath, mergesPath, undefined, { bpeCacheMaxWords: 0 });
    for (const text of ["abc bc a", "bc abc", "abc bc a"]) {
      assert.deepEqual(tokenizer.encode(text), uncached.encode(text));
    }
  });
});

describe("loading errors", () => {
  test("loading errors - a missing vocab file is a TokenizerFileError with the cause", () => {
    const missing = join(dir, "nope.json");
    assert.throws(
      () => ClipTokenizer.fromFiles(missing, mergesPath),
      (error: unknown) =>
        error instanceof TokenizerFileError &&
        error instanceof TokenizerError &&
        error.path === missing &&
        (error.cause as NodeJS.ErrnoException).code === "ENOENT",
    );
  });

  test("loading errors - a missing merges file or config file is a TokenizerFileError", () => {
    assert.throws(() => ClipTokenizer.fromFiles(vocabPath, join(dir, "nope.txt")), TokenizerFileError);
    assert.throws(() => tiny(join(dir, "nope_config.json")), TokenizerFileError);
    assert.throws(() => ClipTokenizer.fromDirectory(join(dir, "no-such-dir")), TokenizerFileError);
  });

  test("loading errors - corrupt vocab.json is a VocabFormatError", () => {
    for (const [name, content] of [
      ["truncated.json", '{"a": 1, "b"'],
      ["array.json", "[1, 2]"],
      ["float.json", '{"a": 1.5}'],
      ["negative.json", '{"a": -1}'],
      ["string-id.json", '{"a": "1"}'],
      ["empty.json", "{}"],
    ] as const) {
      assert.throws(() => ClipTokenizer.fromFiles(write(name, content), mergesPath), VocabFormatError, name);
    }
  });

  test("loading errors - a merges line without exactly two symbols names its line", () => {
    const bad = write("bad-merges.txt", "#version: 0.2\na b\na b c\n");
    assert.throws(
      () => ClipTokenizer.fromFiles(vocabPath, bad),
      (error: unknown) => error instanceof MergesFormatError && error.line === 3,
    );
  });

  test("loading errors - merges naming an unknown symbol are an UnknownMergeTokenError", () => {
    const bad = write("unknown-merges.txt", "#version: 0.2\na b\nq b\n");
    assert.throws(
      () => ClipTokenizer.fromFiles(vocabPath, bad),
      (error: unknown) => error instanceof UnknownMergeTokenError && error.line === 3 && error.token === "q",
    );
  });

  test("loading errors - merges whose result is not in the vocabulary are an UnknownMergeTokenError", () => {
    const bad = write("unknown-result.txt", "c a\n");
    assert.throws(
      () => ClipTokenizer.fromFiles(vocabPath, bad),
      (error: unknown) => error instanceof UnknownMergeTokenError && error.line === 1 && error.token === "ca",
    );
  });

  test("loading errors - a pad token not in the vocabulary is a SpecialTokenNotInVocabError", () => {
    assert.throws(
      () => tiny({ pad_token: "<missing>" }),
      (error: unknown) => error instanceof SpecialTokenNotInVocabError && error.role === "pad" && error.token === "<missing>",
    );
    assert.throws(
      () => tiny({ pad_token: { content: "<missing>" } }),
      (error: unknown) => error instanceof SpecialTokenNotInVocabError && error.role === "pad",
    );
  });

  test("loading errors - bos and eos tokens must be in the vocabulary", () => {
    assert.throws(
      () => tiny({ bos_token: "<s>" }),
      (error: unknown) => error instanceof SpecialTokenNotInVocabError && error.role === "bos",
    );
    assert.throws(
      () => tiny({ eos_token: "</s>" }),
      (error: unknown) => error instanceof SpecialTokenNotInVocabError && error.role === "eos",
    );
  });

  test("loading errors - malformed configuration is a TokenizerConfigError", () => {
    assert.throws(() => tiny({ pad_token: 7 as unknown as string }), TokenizerConfigError);
    assert.throws(() => tiny({ pad_token: { id: 3 } as unknown as string }), TokenizerConfigError);
    assert.throws(() => tiny({ model_max_length: "77" as unknown as number }), TokenizerConfigError);
    assert.throws(() => tiny({ model_max_length: 1 }), TokenizerConfigError);
    assert.throws(() => tiny(write("broken_config.json", "{pad_token:")), TokenizerConfigError);
    assert.throws(() => tiny(write("list_config.json", "[]")), TokenizerConfigError);
  });
});
