/**
 * Tokenizers for language models: character-level (the vocabulary is the sorted distinct characters
 * of a text, as in Karpathy's char-rnn and nanoGPT's shakespeare_char) and byte-level (the 256 byte
 * values of the UTF-8 encoding, so any text encodes and no vocabulary needs saving). Token ids are
 * Int32Array; the trainer widens them to the int64 the model's `input_ids` takes, batch by batch.
 */
import { RetortError } from '../../util/errors.js';

export const TOKENIZER_KINDS = ['char', 'byte'] as const;
export type TokenizerKind = (typeof TOKENIZER_KINDS)[number];

/** What a tokenizer is, as saved in a vocab file and in a model's metadata. */
export type TokenizerSpec =
  /** `characters[id]` is the character (one Unicode code point) of token `id`. */
  | { kind: 'char'; characters: string[] }
  /** Token id = byte value of the UTF-8 encoding. */
  | { kind: 'byte' };

export interface Tokenizer {
  readonly spec: TokenizerSpec;
  readonly vocabSize: number;
  /** Token ids of `text`; a character outside a char vocabulary is a DATA_INVALID error naming it. */
  encode(text: string): Int32Array;
  /** The text of `ids`; byte sequences that are not valid UTF-8 decode to U+FFFD. */
  decode(ids: ArrayLike<number>): string;
}

const describe = (codePoint: number): string => `${JSON.stringify(String.fromCodePoint(codePoint))} (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`;

/** A character tokenizer over `characters` (distinct code points; their order gives the ids). */
export function charTokenizer(characters: readonly string[]): Tokenizer {
  const ids = new Map<number, number>();
  characters.forEach((c, id) => {
    const codePoint = c.codePointAt(0);
    if (codePoint === undefined || String.fromCodePoint(codePoint) !== c) {
      throw new RetortError('DATA_INVALID', `Character vocabulary entry ${id} ${JSON.stringify(c)} is not exactly one character`);
    }
    if (ids.has(codePoint)) throw new RetortError('DATA_INVALID', `Character vocabulary lists ${describe(codePoint)} twice (ids ${ids.get(codePoint)} and ${id})`);
    ids.set(codePoint, id);
  });
  if (ids.size === 0) throw new RetortError('DATA_INVALID', 'Character vocabulary is empty');
  const table = [...characters];
  return {
    spec: { kind: 'char', characters: table },
    vocabSize: table.length,
    encode(text) {
      const out = new Int32Array(text.length); // code points <= UTF-16 units
      let n = 0;
      for (let i = 0; i < text.length; ) {
        const codePoint = text.codePointAt(i)!;
        const id = ids.get(codePoint);
        if (id === undefined) throw new RetortError('DATA_INVALID', `Character ${describe(codePoint)} at offset ${i} is not in the ${table.length}-character vocabulary`);
        out[n++] = id;
        i += codePoint > 0xffff ? 2 : 1;
      }
      return out.slice(0, n);
    },
    decode(tokens) {
      let text = '';
      for (let i = 0; i < tokens.length; i++) {
        const c = table[tokens[i]!];
        if (c === undefined) throw new RetortError('DATA_INVALID', `Token id ${tokens[i]} is outside the ${table.length}-character vocabulary`);
        text += c;
      }
      return text;
    },
  };
}

/** The sorted distinct characters (by code point, as Python's `sorted(set(text))`) of `text`. */
export function charVocabulary(text: string): string[] {
  const seen = new Set<number>();
  for (let i = 0; i < text.length; ) {
    const codePoint = text.codePointAt(i)!;
    seen.add(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  return [...seen].sort((a, b) => a - b).map((c) => String.fromCodePoint(c));
}

export function byteTokenizer(): Tokenizer {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return {
    spec: { kind: 'byte' },
    vocabSize: 256,
    encode: (text) => Int32Array.from(encoder.encode(text)),
    decode(tokens) {
      const bytes = new Uint8Array(tokens.length);
      for (let i = 0; i < tokens.length; i++) {
        const b = tokens[i]!;
        if (!(Number.isInteger(b) && b >= 0 && b < 256)) throw new RetortError('DATA_INVALID', `Token id ${b} is not a byte (0..255)`);
        bytes[i] = b;
      }
      return decoder.decode(bytes);
    },
  };
}

export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  return spec.kind === 'char' ? charTokenizer(spec.characters) : byteTokenizer();
}

/** A new tokenizer of `kind` for `text`: a char tokenizer takes its vocabulary from the text. */
export function tokenizerForText(kind: TokenizerKind, text: string): Tokenizer {
  return kind === 'char' ? charTokenizer(charVocabulary(text)) : byteTokenizer();
}
