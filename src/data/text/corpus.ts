/**
 * A text corpus for language modelling: one file, tokenized, split into a training part and the
 * validation part that follows it (the last 10% by default, as nanoGPT's shakespeare_char does) —
 * contiguous, so no validation window overlaps a training one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { RetortError } from '../../util/errors.js';
import { byteTokenizer, tokenizerForText, type Tokenizer, type TokenizerKind } from './tokenizer.js';

/** A run of token ids. */
export interface TokenSequence {
  name: string;
  tokens: Int32Array;
  /** Ids are in 0..vocabSize-1. */
  vocabSize: number;
  length: number;
}

export interface TextCorpus {
  tokenizer: Tokenizer;
  train: TokenSequence;
  /** Null when validationFraction is 0. */
  validation: TokenSequence | null;
}

export interface TextCorpusOptions {
  /**
   * A tokenizer kind (a char vocabulary is then read off the whole text, so the validation part has
   * no unknown characters), or a tokenizer to reuse (fine-tuning a model keeps its vocabulary).
   */
  tokenizer: TokenizerKind | Tokenizer;
  /** The fraction of tokens, at the end, held out for validation: [0, 1), default 0.1. */
  validationFraction?: number;
  /** Use only the first `limit` tokens (quick runs). */
  limit?: number;
}

export const DEFAULT_VALIDATION_FRACTION = 0.1;

export function tokenSequence(name: string, tokens: Int32Array, vocabSize: number): TokenSequence {
  return { name, tokens, vocabSize, length: tokens.length };
}

/** The tokens [0, cut) and [cut, length), cut = round(length * (1 - fraction)); views, no copy. */
export function splitTokens(sequence: TokenSequence, validationFraction: number): { train: TokenSequence; validation: TokenSequence | null } {
  if (!(validationFraction >= 0 && validationFraction < 1)) {
    throw new RetortError('BAD_ARGUMENT', `Validation fraction ${validationFraction} must be in [0, 1)`);
  }
  const cut = Math.round(sequence.length * (1 - validationFraction));
  const part = (suffix: string, start: number, end: number) => tokenSequence(`${sequence.name}-${suffix}`, sequence.tokens.subarray(start, end), sequence.vocabSize);
  return { train: part('train', 0, cut), validation: cut < sequence.length ? part('validation', cut, sequence.length) : null };
}

/** `text` tokenized and split; `name` names it in messages. */
export function textCorpus(text: string, name: string, options: TextCorpusOptions): TextCorpus {
  const tokenizer = typeof options.tokenizer === 'string' ? tokenizerForText(options.tokenizer, text) : options.tokenizer;
  return corpusOf(tokenizer.encode(text), name, tokenizer, options);
}

function corpusOf(all: Int32Array, name: string, tokenizer: Tokenizer, options: TextCorpusOptions): TextCorpus {
  let tokens = all;
  if (options.limit !== undefined) {
    if (!(Number.isInteger(options.limit) && options.limit > 0)) throw new RetortError('BAD_ARGUMENT', `Token limit must be a positive integer, got ${options.limit}`);
    tokens = tokens.subarray(0, options.limit);
  }
  if (tokens.length < 2) throw new RetortError('DATA_INVALID', `${name} holds ${tokens.length} tokens; a language model needs at least 2`);
  const split = splitTokens(tokenSequence(name, tokens, tokenizer.vocabSize), options.validationFraction ?? DEFAULT_VALIDATION_FRACTION);
  return { tokenizer, ...split };
}

/** A text file as a corpus: its bytes as they are for a byte tokenizer, else its UTF-8 text. */
export function loadTextFile(path: string, options: TextCorpusOptions): TextCorpus {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `No such text file: ${path}`);
  const bytes = readFileSync(path);
  const tokenizer = options.tokenizer;
  if (tokenizer === 'byte' || (typeof tokenizer === 'object' && tokenizer.spec.kind === 'byte')) {
    return corpusOf(Int32Array.from(bytes), basename(path), typeof tokenizer === 'object' ? tokenizer : byteTokenizer(), options);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new RetortError('DATA_INVALID', `${path} is not UTF-8 text (${(e as Error).message}); a character tokenizer needs UTF-8 (a byte tokenizer reads any bytes)`, { cause: e });
  }
  return textCorpus(text, basename(path), options);
}
