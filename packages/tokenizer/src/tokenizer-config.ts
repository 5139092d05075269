/**
 * The parts of a Hugging Face `tokenizer_config.json` / `special_tokens_map.json` that a CLIP
 * tokenizer reads, and how they resolve to ids.
 */

import { TokenizerConfigError } from "./errors.js";

/** A special token as Hugging Face writes it: a plain string or a serialized AddedToken. */
export type SpecialTokenSpec = string | { content: string; [field: string]: unknown };

/** tokenizer_config.json (other fields are allowed and ignored). */
export interface TokenizerConfig {
  bos_token?: SpecialTokenSpec | null;
  eos_token?: SpecialTokenSpec | null;
  unk_token?: SpecialTokenSpec | null;
  /**
   * Stable Diffusion 1.x pads with "<|endoftext|>", SD 2.x with "!". Absent or null means pad
   * id 0, which is what OpenAI's `clip.tokenize` pads with (see README).
   */
  pad_token?: SpecialTokenSpec | null;
  model_max_length?: number;
  [field: string]: unknown;
}

export const DEFAULT_BOS_TOKEN = "<|startoftext|>";
export const DEFAULT_EOS_TOKEN = "<|endoftext|>";
/** Hugging Face's CLIPTokenizer default: an unknown piece becomes <|endoftext|>. */
export const DEFAULT_UNK_TOKEN = "<|endoftext|>";
/** CLIP's text context: 77 positions, start and end tokens included. */
export const DEFAULT_MODEL_MAX_LENGTH = 77;
/** Pad id when the configuration names no pad token: OpenAI `clip.tokenize` pads with zeros. */
export const DEFAULT_PAD_TOKEN_ID = 0;

/** The string a special-token field names, or undefined when the field is absent or null. */
export function specialTokenText(
  config: TokenizerConfig,
  field: "bos_token" | "eos_token" | "unk_token" | "pad_token",
  source: string,
): string | undefined {
  const value: unknown = config[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  throw new TokenizerConfigError(
    source,
    `${field} must be a string or an object with a string "content", got ${JSON.stringify(value)}`,
  );
}

/**
 * model_max_length, or 77 when absent. Hugging Face writes int(1e30) when a tokenizer has no
 * limit; any value that is not a safe positive integer is treated the same way, as "not set".
 */
export function modelMaxLength(config: TokenizerConfig, source: string): number {
  const value = config.model_max_length;
  if (value === undefined || value === null) return DEFAULT_MODEL_MAX_LENGTH;
  if (typeof value !== "number") {
    throw new TokenizerConfigError(source, `model_max_length must be a number, got ${JSON.stringify(value)}`);
  }
  if (!Number.isSafeInteger(value)) return DEFAULT_MODEL_MAX_LENGTH;
  if (value < 2) {
    throw new TokenizerConfigError(source, `model_max_length must be at least 2 (start and end tokens), got ${value}`);
  }
  return value;
}

/** Parse a JSON configuration file's text; it must be a JSON object. */
export function parseConfigJson(text: string, source: string): TokenizerConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TokenizerConfigError(source, "not valid JSON", { cause });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TokenizerConfigError(source, "expected a JSON object");
  }
  return parsed as TokenizerConfig;
}
