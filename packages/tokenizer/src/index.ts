export {
  ClipTokenizer,
  DEFAULT_BPE_CACHE_MAX_WORDS,
  type ClipTokenizerData,
  type ClipTokenizerOptions,
  type EncodeBatchOptions,
  type EncodedBatch,
  type TokenIdDtype,
} from "./clip-tokenizer.js";
export {
  DEFAULT_BOS_TOKEN,
  DEFAULT_EOS_TOKEN,
  DEFAULT_MODEL_MAX_LENGTH,
  DEFAULT_PAD_TOKEN_ID,
  DEFAULT_UNK_TOKEN,
  type SpecialTokenSpec,
  type TokenizerConfig,
} from "./tokenizer-config.js";
export { parseMergesTxt, parseVocabJson, type MergeRule } from "./tokenizer-files.js";
export { BYTE_ALPHABET, BYTE_TO_SYMBOL } from "./byte-alphabet.js";
export { END_OF_WORD } from "./bpe.js";
export { cleanText } from "./clean-text.js";
export { preTokenize } from "./pre-tokenize.js";
export {
  MergesFormatError,
  SpecialTokenNotInVocabError,
  TokenizerConfigError,
  TokenizerError,
  TokenizerFileError,
  UnknownMergeTokenError,
  VocabFormatError,
} from "./errors.js";
