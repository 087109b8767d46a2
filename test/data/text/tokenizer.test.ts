import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { byteTokenizer, charTokenizer, charVocabulary, tokenizerForText, tokenizerFromSpec } from '../../../src/data/text/tokenizer.js';
import { findTokenizer, formatVocab, loadVocab, parseVocab, saveVocab, tokenizerFromMetadata, TOKENIZER_METADATA_KEY, vocabPathFor, withTokenizerMetadata } from '../../../src/data/text/vocab.js';
import { newModel } from '../../../src/onnx/proto.js';

test('a char vocabulary is the sorted distinct code points, as Python sorted(set(text)) gives', () => {
  // '\n' (10) < ' ' (32) < 'A' < 'a' < 'é' (233) < '😀' (U+1F600, two UTF-16 units).
  assert.deepEqual(charVocabulary('a A\né😀a'), ['\n', ' ', 'A', 'a', 'é', '😀']);
});

test('char tokenizer round trip, ids in vocabulary order, astral characters as one token', () => {
  const text = 'To be, or not to be 😀\nthat is the question: é';
  const tokenizer = tokenizerForText('char', text);
  const ids = tokenizer.encode(text);
  assert.equal(ids.length, [...text].length);
  assert.equal(tokenizer.decode(ids), text);
  assert.equal(tokenizer.vocabSize, new Set(text).size);
  assert.deepEqual([...tokenizer.encode('\n ')], [0, 1]);
  assert.ok([...ids].every((id) => id >= 0 && id < tokenizer.vocabSize));
});

test('char tokenizer errors name the character, its offset, or the bad id', () => {
  const tokenizer = charTokenizer(['a', 'b']);
  assert.throws(() => tokenizer.encode('abz'), (e: Error & { code?: string }) => e.code === 'DATA_INVALID' && /"z" \(U\+007A\) at offset 2/.test(e.message));
  assert.throws(() => tokenizer.decode([0, 2]), { code: 'DATA_INVALID', message: /Token id 2 is outside the 2-character vocabulary/ });
  assert.throws(() => charTokenizer(['a', 'a']), { code: 'DATA_INVALID', message: /twice/ });
  assert.throws(() => charTokenizer(['ab']), { code: 'DATA_INVALID', message: /not exactly one character/ });
});

test('byte tokenizer: 256 ids, UTF-8 bytes, round trip of any text', () => {
  const tokenizer = byteTokenizer();
  assert.equal(tokenizer.vocabSize, 256);
  const text = 'naïve café — 😀';
  const ids = tokenizer.encode(text);
  assert.deepEqual([...ids], [...new TextEncoder().encode(text)]);
  assert.equal(tokenizer.decode(ids), text);
  // A cut multi-byte sequence decodes to U+FFFD instead of failing (sampled bytes can do that).
  assert.equal(tokenizer.decode(ids.subarray(0, 3)), 'na\uFFFD');
  assert.throws(() => tokenizer.decode([300]), { code: 'DATA_INVALID' });
});

test('vocab JSON: saved next to the model, loaded back, embedded in metadata_props', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-vocab-'));
  try {
    const spec = tokenizerForText('char', 'hello world\n').spec;
    const modelPath = path.join(dir, 'model.onnx');
    assert.equal(vocabPathFor(modelPath), path.join(dir, 'model.vocab.json'));
    saveVocab(vocabPathFor(modelPath), spec);
    assert.deepEqual(loadVocab(vocabPathFor(modelPath)), spec);
    assert.deepEqual(parseVocab(formatVocab({ kind: 'byte' }), 'x'), { kind: 'byte' });

    const bare = newModel({ producerName: 'test' });
    assert.equal(tokenizerFromMetadata(bare), null);
    const tagged = withTokenizerMetadata(withTokenizerMetadata(bare, { kind: 'byte' }), spec);
    assert.equal(tagged.metadataProps.filter((p) => p.key === TOKENIZER_METADATA_KEY).length, 1, 'the entry is replaced, not duplicated');
    assert.deepEqual(tokenizerFromMetadata(tagged), spec);
    assert.equal(bare.metadataProps.length, 0, 'the input model is not changed');

    // Found in order: an explicit file, the model's metadata, the file beside the model.
    assert.deepEqual(findTokenizer(bare, modelPath).spec, spec);
    assert.equal(findTokenizer(tagged, modelPath).source, `${modelPath} (metadata ${TOKENIZER_METADATA_KEY})`);
    const other = path.join(dir, 'other.json');
    saveVocab(other, { kind: 'byte' });
    assert.deepEqual(findTokenizer(tagged, modelPath, other).spec, { kind: 'byte' });
    assert.throws(() => findTokenizer(bare, path.join(dir, 'none.onnx')), { code: 'FILE_NOT_FOUND', message: /none\.vocab\.json/ });
    assert.equal(tokenizerFromSpec(spec).decode(tokenizerFromSpec(spec).encode('hello')), 'hello');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed vocab files are DATA_INVALID errors naming the file and the fault', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-vocab-'));
  try {
    const file = path.join(dir, 'bad.json');
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['{"format":"other","version":1,"kind":"byte"}', /"format" must be "retort-vocab"/],
      ['{"format":"retort-vocab","version":2,"kind":"byte"}', /version 2/],
      ['{"format":"retort-vocab","version":1,"kind":"bpe"}', /should be one of: char, byte/],
      ['{"format":"retort-vocab","version":1,"kind":"char","characters":[1]}', /array of strings/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(file, text);
      assert.throws(() => loadVocab(file), (e: Error & { code?: string }) => e.code === 'DATA_INVALID' && e.message.includes(file) && message.test(e.message), text);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
