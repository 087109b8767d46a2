/**
 * Where a language model's tokenizer travels with it: a JSON vocab file next to the model
 * (`MODEL.vocab.json` beside `MODEL.onnx`) and the same JSON in the model's `metadata_props` under
 * `retort.tokenizer`, so a model file alone is enough for `retort generate`.
 *
 *   { "format": "retort-vocab", "version": 1, "kind": "char", "characters": ["\n", " ", "!", ...] }
 *   { "format": "retort-vocab", "version": 1, "kind": "byte" }
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ModelProto } from '../../onnx/proto.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RetortError } from '../../util/errors.js';
import { TOKENIZER_KINDS, type TokenizerSpec } from './tokenizer.js';

export const VOCAB_FORMAT = 'retort-vocab';
export const VOCAB_VERSION = 1;
/** The metadata_props key holding the vocab JSON. */
export const TOKENIZER_METADATA_KEY = 'retort.tokenizer';

/** `runs/x/model.onnx` -> `runs/x/model.vocab.json`. */
export function vocabPathFor(modelPath: string): string {
  return `${modelPath.replace(/\.onnx$/i, '')}.vocab.json`;
}

export function formatVocab(spec: TokenizerSpec): string {
  return JSON.stringify({ format: VOCAB_FORMAT, version: VOCAB_VERSION, ...spec });
}

/** The tokenizer described by vocab JSON text, or a DATA_INVALID error naming `source` and the fault. */
export function parseVocab(text: string, source: string): TokenizerSpec {
  const invalid = (why: string) => new RetortError('DATA_INVALID', `${source} is not a retort vocabulary: ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(`not JSON (${(e as Error).message})`);
  }
  const v = json as { format?: unknown; version?: unknown; kind?: unknown; characters?: unknown };
  if (typeof json !== 'object' || json === null || v.format !== VOCAB_FORMAT) throw invalid(`"format" must be "${VOCAB_FORMAT}"`);
  if (v.version !== VOCAB_VERSION) throw invalid(`version ${JSON.stringify(v.version)}, expected ${VOCAB_VERSION}`);
  if (v.kind === 'byte') return { kind: 'byte' };
  if (v.kind === 'char') {
    if (!Array.isArray(v.characters) || !v.characters.every((c) => typeof c === 'string')) throw invalid('"characters" must be an array of strings');
    return { kind: 'char', characters: v.characters as string[] };
  }
  throw invalid(`"kind" ${JSON.stringify(v.kind)} should be one of: ${TOKENIZER_KINDS.join(', ')}`);
}

export function saveVocab(path: string, spec: TokenizerSpec): void {
  writeFileAtomic(path, formatVocab(spec) + '\n');
}

export function loadVocab(path: string): TokenizerSpec {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `No such vocabulary file: ${path}`);
  return parseVocab(readFileSync(path, 'utf8'), path);
}

/** A copy of `model` whose metadata_props hold `spec` (replacing an earlier tokenizer entry). */
export function withTokenizerMetadata(model: ModelProto, spec: TokenizerSpec): ModelProto {
  const kept = (model.metadataProps ?? []).filter((p) => p.key !== TOKENIZER_METADATA_KEY);
  return { ...model, metadataProps: [...kept, { key: TOKENIZER_METADATA_KEY, value: formatVocab(spec) }] };
}

/** The tokenizer embedded in `model`'s metadata_props, or null when it has none. */
export function tokenizerFromMetadata(model: ModelProto, source = 'the model'): TokenizerSpec | null {
  const entry = (model.metadataProps ?? []).find((p) => p.key === TOKENIZER_METADATA_KEY);
  return entry ? parseVocab(entry.value, `metadata "${TOKENIZER_METADATA_KEY}" of ${source}`) : null;
}

/**
 * A model's tokenizer and where it was found: `vocabFile` when given, else the model's metadata,
 * else `MODEL.vocab.json` beside `modelPath`; FILE_NOT_FOUND naming all three when none holds one.
 */
export function findTokenizer(model: ModelProto, modelPath: string, vocabFile?: string): { spec: TokenizerSpec; source: string } {
  if (vocabFile !== undefined) return { spec: loadVocab(vocabFile), source: vocabFile };
  const embedded = tokenizerFromMetadata(model, modelPath);
  if (embedded) return { spec: embedded, source: `${modelPath} (metadata ${TOKENIZER_METADATA_KEY})` };
  const beside = vocabPathFor(modelPath);
  if (existsSync(beside)) return { spec: loadVocab(beside), source: beside };
  throw new RetortError('FILE_NOT_FOUND', `${modelPath} has no tokenizer: no metadata "${TOKENIZER_METADATA_KEY}" and no ${beside}; give a vocabulary file`);
}
