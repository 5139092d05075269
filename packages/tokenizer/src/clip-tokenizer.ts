/**
 * CLIP's byte-level BPE tokenizer: cleanText -> preTokenize -> bytes -> bytePairMerge -> ids,
 * wrapped in <|startoftext|> ... <|endoftext|>, optionally truncated and padded to the text
 * encoder's 77 positions.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { toByteSymbols } from "./byte-alphabet.js";
import { bytePairMerge } from "./bpe.js";
import { cleanText } from "./clean-text.js";
import { SpecialTokenNotInVocabError } from "./errors.js";
import { LruCache } from "./lru-cache.js";
import { preTokenize } from "./pre-tokenize.js";
import {
  DEFAULT_BOS_TOKEN,
  DEFAULT_EOS_TOKEN,
  DEFAULT_PAD_TOKEN_ID,
  DEFAULT_UNK_TOKEN,
  modelMaxLength,
  parseConfigJson,
  specialTokenText,
  type TokenizerConfig,
} from "./tokenizer-config.js";
import { buildMergeRanks, parseMergesTxt, parseVocabJson, readTextFile, type MergeRule } from "./tokenizer-files.js";

/**
 * How many distinct words' ids the per-tokenizer cache keeps (least recently used goes first).
 * A cached word costs roughly 100-200 bytes, so the default bounds the cache near 2 MB while
 * covering the working vocabulary of instruction text.
 */
export const DEFAULT_BPE_CACHE_MAX_WORDS = 10_000;

/** The literal strings CLIP's pre-tokenizer keeps whole and looks up directly. */
const LITERAL_SPECIAL_WORDS: ReadonlySet<string> = new Set(["<|startoftext|>", "<|endoftext|>"]);

export type TokenIdDtype = "int64" | "int32";

export interface EncodeBatchOptions<D extends TokenIdDtype = TokenIdDtype> {
  /** Positions per row, start and end tokens included. Default: modelMaxLength (77). */
  length?: number;
  /** Element type of `ids`; read it from the text encoder's input metadata. Default "int64". */
  dtype?: D;
}

/** Row-major [n, length] token ids, ready to be an ONNX `input_ids` tensor. */
export interface EncodedBatch<D extends TokenIdDtype = TokenIdDtype> {
  ids: D extends "int32" ? Int32Array : BigInt64Array;
  shape: [number, number];
  dtype: D;
}

export interface ClipTokenizerOptions {
  /** Size cap of the word -> ids cache. Default DEFAULT_BPE_CACHE_MAX_WORDS; 0 disables it. */
  bpeCacheMaxWords?: number;
}

export interface ClipTokenizerData {
  /** token -> id, as in vocab.json. */
  vocab: ReadonlyMap<string, number>;
  /** Merge rules in rank order, as in merges.txt. */
  merges: readonly MergeRule[];
  config?: TokenizerConfig;
  /** Names used in error messages. */
  sources?: { vocab?: string; merges?: string; config?: string };
}

export class ClipTokenizer {
  /** Number of entries in vocab.json. */
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** Id of the configured pad token, or 0 when the configuration names none. */
  readonly padTokenId: number;
  /** Id that vocabulary-less BPE pieces map to (never needed with a complete CLIP vocab). */
  readonly unkTokenId: number;
  /** model_max_length from the configuration, 77 when unset. */
  readonly modelMaxLength: number;

  readonly #vocab: ReadonlyMap<string, number>;
  readonly #ranks: ReadonlyMap<string, number>;
  readonly #cache: LruCache<string, readonly number[]>;

  constructor(data: ClipTokenizerData, options: ClipTokenizerOptions = {}) {
    const config = data.config ?? {};
    const configSource = data.sources?.config ?? "tokenizer config";
    this.#vocab = data.vocab;
    this.#ranks = buildMergeRanks(data.merges, data.vocab, data.sources?.merges ?? "merges");
    this.#cache = new LruCache(options.bpeCacheMaxWords ?? DEFAULT_BPE_CACHE_MAX_WORDS);
    this.vocabSize = data.vocab.size;

    const idOf = (role: "bos" | "eos" | "unk" | "pad", token: string): number => {
      const id = data.vocab.get(token);
      if (id === undefined) throw new SpecialTokenNotInVocabError(role, token);
      return id;
    };
    this.bosTokenId = idOf("bos", specialTokenText(config, "bos_token", configSource) ?? DEFAULT_BOS_TOKEN);
    this.eosTokenId = idOf("eos", specialTokenText(config, "eos_token", configSource) ?? DEFAULT_EOS_TOKEN);
    this.unkTokenId = idOf("unk", specialTokenText(config, "unk_token", configSource) ?? DEFAULT_UNK_TOKEN);
    const pad = specialTokenText(config, "pad_token", configSource);
    this.padTokenId = pad === undefined ? DEFAULT_PAD_TOKEN_ID : idOf("pad", pad);
    this.modelMaxLength = modelMaxLength(config, configSource);
  }

  /**
   * Load vocab.json + merges.txt, with the configuration given as an object or as the path of
   * a tokenizer_config.json. Synchronous: meant for service start-up.
   */
  static fromFiles(
    vocabJsonPath: string,
    mergesTxtPath: string,
    tokenizerConfig?: TokenizerConfig | string,
    options?: ClipTokenizerOptions,
  ): ClipTokenizer {
    const vocab = parseVocabJson(readTextFile(vocabJsonPath, "vocab.json"), vocabJsonPath);
    const merges = parseMergesTxt(readTextFile(mergesTxtPath, "merges.txt"), mergesTxtPath);
    let config: TokenizerConfig | undefined;
    let configSource: string | undefined;
    if (typeof tokenizerConfig === "string") {
      configSource = tokenizerConfig;
      config = parseConfigJson(readTextFile(tokenizerConfig, "tokenizer_config.json"), tokenizerConfig);
    } else {
      config = tokenizerConfig;
    }
    return new ClipTokenizer(
      { vocab, merges, config, sources: { vocab: vocabJsonPath, merges: mergesTxtPath, config: configSource } },
      options,
    );
  }

  /**
   * Load a model package's tokenizer/ folder: vocab.json, merges.txt, and, when present,
   * tokenizer_config.json and special_tokens_map.json. A key in special_tokens_map.json
   * overrides the same key in tokenizer_config.json, as in Hugging Face's loader.
   */
  static fromDirectory(dir: string, options?: ClipTokenizerOptions): ClipTokenizer {
    const configPath = join(dir, "tokenizer_config.json");
    const specialPath = join(dir, "special_tokens_map.json");
    const readOptional = (path: string, what: string): TokenizerConfig =>
      existsSync(path) ? parseConfigJson(readTextFile(path, what), path) : {};
    const config = {
      ...readOptional(configPath, "tokenizer_config.json"),
      ...readOptional(specialPath, "special_tokens_map.json"),
    };
    const vocabPath = join(dir, "vocab.json");
    const mergesPath = join(dir, "merges.txt");
    const vocab = parseVocabJson(readTextFile(vocabPath, "vocab.json"), vocabPath);
    const merges = parseMergesTxt(readTextFile(mergesPath, "merges.txt"), mergesPath);
    return new ClipTokenizer(
      { vocab, merges, config, sources: { vocab: vocabPath, merges: mergesPath, config: dir } },
      options,
    );
  }

  /** BPE pieces of `text` (no start/end tokens), e.g. "a photo" -> ["a</w>", "photo</w>"]. */
  tokenize(text: string): string[] {
    const pieces: string[] = [];
    for (const word of preTokenize(cleanText(text))) {
      if (LITERAL_SPECIAL_WORDS.has(word)) pieces.push(word);
      else pieces.push(...bytePairMerge(toByteSymbols(word), this.#ranks));
    }
    return pieces;
  }

  /** Token ids of `text` between the start and end tokens; neither truncated nor padded. */
  encode(text: string): number[] {
    const ids = [this.bosTokenId];
    for (const word of preTokenize(cleanText(text))) {
      for (const id of this.#wordIds(word)) ids.push(id);
    }
    ids.push(this.eosTokenId);
    return ids;
  }

  /**
   * encode(text) fitted to exactly `length` ids: longer sequences are cut and keep the end
   * token as their last id (like `truncation=True`); shorter ones are padded on the right with
   * padTokenId (like `padding="max_length"`).
   */
  encodePadded(text: string, length: number = this.modelMaxLength): number[] {
    checkLength(length);
    const ids = this.encode(text);
    if (ids.length > length) {
      ids.length = length - 1;
      ids.push(this.eosTokenId);
    }
    while (ids.length < length) ids.push(this.padTokenId);
    return ids;
  }

  /** encodePadded for each text, packed row-major into one [texts.length, length] tensor buffer. */
  encodeBatch<D extends TokenIdDtype = "int64">(
    texts: readonly string[],
    options: EncodeBatchOptions<D> = {},
  ): EncodedBatch<D> {
    const length = options.length ?? this.modelMaxLength;
    const dtype = (options.dtype ?? "int64") as D;
    checkLength(length);
    if (dtype !== "int64" && dtype !== "int32") {
      throw new RangeError(`dtype must be "int64" or "int32", got ${JSON.stringify(dtype)}`);
    }
    const size = texts.length * length;
    const rows = texts.map((text) => this.encodePadded(text, length));
    let ids: Int32Array | BigInt64Array;
    if (dtype === "int32") {
      const out = new Int32Array(size);
      rows.forEach((row, r) => out.set(row, r * length));
      ids = out;
    } else {
      const out = new BigInt64Array(size);
      rows.forEach((row, r) => row.forEach((id, c) => (out[r * length + c] = BigInt(id))));
      ids = out;
    }
    return { ids: ids as EncodedBatch<D>["ids"], shape: [texts.length, length], dtype };
  }

  /** Ids of one pre-tokenized word, through the LRU cache. */
  #wordIds(word: string): readonly number[] {
    const cached = this.#cache.get(word);
    if (cached !== undefined) return cached;
    const pieces = LITERAL_SPECIAL_WORDS.has(word) ? [word] : bytePairMerge(toByteSymbols(word), this.#ranks);
    const ids = pieces.map((piece) => this.#vocab.get(piece) ?? this.unkTokenId);
    this.#cache.set(word, ids);
    return ids;
  }
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 2) {
    throw new RangeError(`sequence length must be an integer >= 2 (start and end tokens), got ${length}`);
  }
}
