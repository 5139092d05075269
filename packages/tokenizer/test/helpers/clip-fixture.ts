/**
 * Builds the real CLIP tokenizer files in a temporary folder, at test time, from OpenAI CLIP's
 * bpe_simple_vocab_16e6.txt.gz, kept in this repository at test/fixtures/clip/ (MIT, see the
 * LICENSE and README.md there), the same way OpenAI CLIP builds its vocabulary in
 * SimpleTokenizer.__init__:
 *
 *   merges = lines 1 .. 49152-256-2 of the file (line 0 is a header)       48,894 rules
 *   vocab  = the 256 byte symbols, the same 256 + "</w>", one token per merge (its two symbols
 *            joined), then <|startoftext|> and <|endoftext|>                  49,408 ids
 *
 * vocab.json / merges.txt (with a "#version: 0.2" header) are what Hugging Face ships for
 * openai/clip-vit-large-patch14 and Stable Diffusion.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { BYTE_ALPHABET } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const CLIP_BPE_GZ = join(here, "../fixtures/clip/bpe_simple_vocab_16e6.txt.gz");

export const CLIP_MERGE_COUNT = 49152 - 256 - 2;
export const CLIP_VOCAB_SIZE = 49408;

export interface ClipFixture {
  dir: string;
  vocabPath: string;
  mergesPath: string;
  /** Remove the temporary folder. */
  remove(): void;
}

/** Write vocab.json and merges.txt for the real CLIP vocabulary into a new temporary folder. */
export function writeClipTokenizerFiles(): ClipFixture {
  if (!existsSync(CLIP_BPE_GZ)) {
    throw new Error(
      `CLIP vocabulary missing: ${CLIP_BPE_GZ} is part of the repository ` +
        "(packages/tokenizer/test/fixtures/clip/bpe_simple_vocab_16e6.txt.gz); restore it from git",
    );
  }
  const lines = gunzipSync(readFileSync(CLIP_BPE_GZ)).toString("utf8").split("\n");
  const merges = lines.slice(1, CLIP_MERGE_COUNT + 1);
  const tokens = [
    ...BYTE_ALPHABET,
    ...BYTE_ALPHABET.map((symbol) => `${symbol}</w>`),
    ...merges.map((merge) => merge.split(" ").join("")),
    "<|startoftext|>",
    "<|endoftext|>",
  ];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => (vocab[token] = id));

  const dir = mkdtempSync(join(tmpdir(), "emuedit-clip-tokenizer-"));
  const vocabPath = join(dir, "vocab.json");
  const mergesPath = join(dir, "merges.txt");
  writeFileSync(vocabPath, JSON.stringify(vocab));
  writeFileSync(mergesPath, `#version: 0.2\n${merges.join("\n")}\n`);
  return { dir, vocabPath, mergesPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
