/**
 * Reading and validating the Hugging Face CLIP tokenizer files: vocab.json, merges.txt and the
 * optional tokenizer_config.json / special_tokens_map.json.
 */

import { readFileSync } from "node:fs";
import { MergesFormatError, TokenizerFileError, UnknownMergeTokenError, VocabFormatError } from "./errors.js";
import { pairKey } from "./bpe.js";

/** One merge rule: the symbols `first` and `second` merge into `first + second`. */
export interface MergeRule {
  readonly first: string;
  readonly second: string;
  /** 1-based line in the merges file, for error messages. */
  readonly line: number;
}

/** Read a UTF-8 text file, turning any failure into a TokenizerFileError. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new TokenizerFileError(path, what, { cause });
  }
}

/** vocab.json: a JSON object of token -> non-negative integer id. */
export function parseVocabJson(text: string, source: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new VocabFormatError(source, "not valid JSON", { cause });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new VocabFormatError(source, "expected a JSON object of token -> id");
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(parsed)) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      const detail = `id of ${JSON.stringify(token)} is ${JSON.stringify(id)}, not a non-negative integer`;
      throw new VocabFormatError(source, detail);
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new VocabFormatError(source, "the vocabulary is empty");
  return vocab;
}

/**
 * merges.txt: an optional "#version: ..." first line, then one rule per line, "first second",
 * in rank order. Blank lines (such as the trailing newline) are skipped; CRLF is accepted.
 */
export function parseMergesTxt(text: string, source: string): MergeRule[] {
  const lines = text.split("\n");
  const rules: MergeRule[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, "");
    if (i === 0 && line.startsWith("#version")) continue;
    if (line.trim() === "") continue;
    const parts = line.trim().split(/\s+/);
    if (parts.length !== 2) {
      const detail = `expected two symbols separated by a space, got ${JSON.stringify(line)}`;
      throw new MergesFormatError(source, i + 1, detail);
    }
    rules.push({ first: parts[0] as string, second: parts[1] as string, line: i + 1 });
  }
  return rules;
}

/**
 * Merge ranks keyed by pairKey. Every rule's two symbols and its result must be vocabulary
 * tokens. A rule listed twice keeps its later rank, as CLIP's `dict(zip(merges, range(...)))` does.
 */
export function buildMergeRanks(
  rules: readonly MergeRule[],
  vocab: ReadonlyMap<string, number>,
  source: string,
): Map<string, number> {
  const ranks = new Map<string, number>();
  rules.forEach((rule, rank) => {
    for (const token of [rule.first, rule.second, rule.first + rule.second]) {
      if (!vocab.has(token)) throw new UnknownMergeTokenError(source, rule.line, token);
    }
    ranks.set(pairKey(rule.first, rule.second), rank);
  });
  return ranks;
}
