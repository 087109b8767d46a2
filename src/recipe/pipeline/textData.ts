/**
 * A recipe's text entries (`key: text`): one text file for language modelling, its path relative to
 * the recipe file, tokenized as `retort train --data text:PATH` does it (a char vocabulary read off
 * the whole file, or bytes) and split into training tokens and the validation tokens that follow
 * them. The limits cut each split (the first N training tokens, the first N validation tokens), so
 * a quick run keeps windows of the full context and a validation part of its own.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_VALIDATION_FRACTION, loadTextFile, tokenSequence, type TextCorpus, type TokenSequence } from '../../data/text/corpus.js';
import { TOKENIZER_KINDS, tokenizerFromSpec, type Tokenizer, type TokenizerKind } from '../../data/text/tokenizer.js';
import type { ModelProto } from '../../onnx/proto.js';
import { carriedTokenizer } from '../../train/languageModelRun.js';
import { RetortError } from '../../util/errors.js';
import type { DataInput, TextDataInput } from './stageKind.js';

/** The `key` of a text entry. */
export const TEXT_DATA_KEY = 'text';

const limit = z.number().int().positive().nullable().default(null);

export const textKwargsSchema = z.strictObject({
  path: z.string().min(1).describe('the text file (UTF-8 for a char tokenizer), relative to the recipe file'),
  tokenizer: z.enum(TOKENIZER_KINDS).default('char').describe("char: the sorted distinct characters of the whole file; byte: the 256 byte values (a model read from a file keeps the tokenizer it carries)"),
  validationFraction: z.number().min(0).lt(1).default(DEFAULT_VALIDATION_FRACTION).describe('the fraction of tokens at the end of the file held out for validation (what stages and the comparison score); 0 for none'),
  limitTrain: limit.describe('use only the first N training tokens (quick runs); null for all'),
  limitValidation: limit.describe('score only the first N validation tokens; null for all'),
});

export type TextKwargs = z.infer<typeof textKwargsSchema>;

const cut = (sequence: TokenSequence, limitTokens: number | null): TokenSequence =>
  limitTokens === null || limitTokens >= sequence.length ? sequence : tokenSequence(sequence.name, sequence.tokens.subarray(0, limitTokens), sequence.vocabSize);

/** The entry's file resolved against `baseDir` (the recipe file's folder). */
export const textPathOf = (kwargs: Pick<TextKwargs, 'path'>, baseDir: string): string => resolve(baseDir, kwargs.path);

/** A text entry as a DataInput: `text` tokenizes (cached per tokenizer); `load` refuses, naming the entry. */
export function textDataInput(name: string, kwargs: TextKwargs, baseDir: string): DataInput {
  const path = textPathOf(kwargs, baseDir);
  const cache = new Map<string, TextCorpus>();
  return {
    name,
    load() {
      throw new RetortError('BAD_ARGUMENT', `Data entry "${name}" is text (language modelling: token windows, no samples with class labels); this stage takes classification data`);
    },
    text: {
      path,
      tokenizer: kwargs.tokenizer,
      validationFraction: kwargs.validationFraction,
      corpus(tokenizer: TokenizerKind | Tokenizer = kwargs.tokenizer) {
        const key = typeof tokenizer === 'string' ? tokenizer : JSON.stringify(tokenizer.spec);
        let corpus = cache.get(key);
        if (!corpus) {
          const full = loadTextFile(path, { tokenizer, validationFraction: kwargs.validationFraction });
          corpus = { tokenizer: full.tokenizer, train: cut(full.train, kwargs.limitTrain), validation: full.validation && cut(full.validation, kwargs.limitValidation) };
          cache.set(key, corpus);
        }
        return corpus;
      },
    },
  };
}

/**
 * The validation tokens a model is scored on: the entry's text tokenized as the model was trained
 * (the tokenizer it carries; the entry's own for a model that carries none).
 */
export function textValidation(name: string, text: TextDataInput): (model: ModelProto, path: string) => TokenSequence {
  return (model, path) => {
    const carried = carriedTokenizer(model, path);
    const validation = text.corpus(carried ? tokenizerFromSpec(carried) : text.tokenizer).validation;
    if (!validation) throw new RetortError('BAD_ARGUMENT', `Data entry "${name}" holds no validation tokens (validationFraction 0); language models are scored on them`);
    return validation;
  };
}
