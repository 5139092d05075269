/**
 * Errors raised while loading a CLIP tokenizer. All of them extend TokenizerError so a caller
 * can catch "the tokenizer files are unusable" in one place; each names its file and, where
 * there is one, the underlying error as `cause`.
 */

import { EmueditError, Status } from "@emuedit/errors";

/** Base class: something about the tokenizer files or configuration is unusable. */
export class TokenizerError extends EmueditError {
  override name = "TokenizerError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(Status.Internal, message, options);
  }
}

/** A tokenizer file (vocab.json, merges.txt, tokenizer_config.json, ...) could not be read. */
export class TokenizerFileError extends TokenizerError {
  override name = "TokenizerFileError";
  readonly path: string;
  constructor(path: string, what: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`cannot read ${what} at ${path}${reason}`, options);
    this.path = path;
  }
}

/** vocab.json is not a JSON object mapping token strings to non-negative integer ids. */
export class VocabFormatError extends TokenizerError {
  override name = "VocabFormatError";
  readonly source: string;
  constructor(source: string, detail: string, options?: { cause?: unknown }) {
    super(`invalid vocabulary ${source}: ${detail}`, options);
    this.source = source;
  }
}

/** A merges.txt line is not exactly two whitespace-separated symbols. */
export class MergesFormatError extends TokenizerError {
  override name = "MergesFormatError";
  readonly source: string;
  /** 1-based line number in the merges file. */
  readonly line: number;
  constructor(source: string, line: number, detail: string, options?: { cause?: unknown }) {
    super(`invalid merges ${source}, line ${line}: ${detail}`, options);
    this.source = source;
    this.line = line;
  }
}

/** A merge rule names a symbol (or produces a merged token) that the vocabulary lacks. */
export class UnknownMergeTokenError extends TokenizerError {
  override name = "UnknownMergeTokenError";
  readonly source: string;
  /** 1-based line number in the merges file (rank + 1 for merges given in memory). */
  readonly line: number;
  readonly token: string;
  constructor(source: string, line: number, token: string, options?: { cause?: unknown }) {
    super(
      `merges ${source}, line ${line} refers to ${JSON.stringify(token)}, which is not in the ` +
        "vocabulary (vocab.json and merges.txt are probably from different tokenizers)",
      options,
    );
    this.source = source;
    this.line = line;
    this.token = token;
  }
}

/** The configured bos / eos / unk / pad token does not exist in the vocabulary. */
export class SpecialTokenNotInVocabError extends TokenizerError {
  override name = "SpecialTokenNotInVocabError";
  readonly role: "bos" | "eos" | "unk" | "pad";
  readonly token: string;
  constructor(role: "bos" | "eos" | "unk" | "pad", token: string, options?: { cause?: unknown }) {
    super(
      `${role}_token ${JSON.stringify(token)} from the tokenizer configuration is not in the ` +
        "vocabulary",
      options,
    );
    this.role = role;
    this.token = token;
  }
}

/** tokenizer_config.json / special_tokens_map.json is not valid JSON or has a malformed field. */
export class TokenizerConfigError extends TokenizerError {
  override name = "TokenizerConfigError";
  readonly source: string;
  constructor(source: string, detail: string, options?: { cause?: unknown }) {
    super(`invalid tokenizer configuration ${source}: ${detail}`, options);
    this.source = source;
  }
}
