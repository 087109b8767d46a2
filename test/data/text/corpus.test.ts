import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTextFile, splitTokens, textCorpus, tokenSequence } from '../../../src/data/text/corpus.js';
import { byteTokenizer } from '../../../src/data/text/tokenizer.js';
import { allocateWindows, gatherWindows, languageModelStepsPerEpoch, randomWindowStarts, sequentialWindowStarts, windowBatches } from '../../../src/data/text/windows.js';
import { Rng } from '../../../src/util/random.js';

/** Token i = i % 50, so a window's contents reveal its start. */
const counting = (n: number) => tokenSequence('counting', Int32Array.from({ length: n }, (_, i) => i % 50), 50);

test('the validation split is the last tenth by default, contiguous and after the training part', () => {
  const text = 'abcdefghij'.repeat(10);
  const corpus = textCorpus(text, 'letters', { tokenizer: 'char' });
  assert.equal(corpus.train.length, 90);
  assert.equal(corpus.validation!.length, 10);
  assert.equal(corpus.tokenizer.decode(corpus.train.tokens) + corpus.tokenizer.decode(corpus.validation!.tokens), text);
  assert.equal(corpus.train.name, 'letters-train');

  const quarter = textCorpus(text, 'letters', { tokenizer: 'char', validationFraction: 0.25 });
  assert.deepEqual([quarter.train.length, quarter.validation!.length], [75, 25]);
  assert.equal(textCorpus(text, 'letters', { tokenizer: 'char', validationFraction: 0 }).validation, null);
  const limited = textCorpus(text, 'letters', { tokenizer: 'char', limit: 40 });
  assert.deepEqual([limited.train.length, limited.validation!.length], [36, 4]);
  assert.throws(() => splitTokens(counting(10), 1), { code: 'BAD_ARGUMENT' });
  // The vocabulary comes from the whole text, so a character seen only in validation still encodes.
  const tail = textCorpus('aaaaaaaaaz', 'tail', { tokenizer: 'char' });
  assert.equal(tail.tokenizer.vocabSize, 2);
  assert.equal(tail.tokenizer.decode(tail.validation!.tokens), 'z');
});

test('a text file: char tokenizer needs UTF-8, the byte tokenizer reads any bytes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-text-'));
  try {
    const good = path.join(dir, 'good.txt');
    writeFileSync(good, 'hello wörld\n'.repeat(5));
    const chars = loadTextFile(good, { tokenizer: 'char' });
    assert.equal(chars.train.length + chars.validation!.length, 60);
    const bytes = loadTextFile(good, { tokenizer: 'byte' });
    assert.equal(bytes.train.length + bytes.validation!.length, 65); // ö is two bytes
    assert.equal(bytes.tokenizer.decode(bytes.train.tokens).slice(0, 11), 'hello wörld');

    const binary = path.join(dir, 'latin1.txt');
    writeFileSync(binary, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]));
    assert.throws(() => loadTextFile(binary, { tokenizer: 'char' }), (e: Error & { code?: string }) => e.code === 'DATA_INVALID' && e.message.includes(binary));
    assert.deepEqual([...loadTextFile(binary, { tokenizer: byteTokenizer(), validationFraction: 0 }).train.tokens], [0x63, 0x61, 0x66, 0xe9, 0x0a, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
    assert.throws(() => loadTextFile(path.join(dir, 'missing.txt'), { tokenizer: 'char' }), { code: 'FILE_NOT_FOUND' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('random window starts are seeded and leave room for context + 1 tokens', () => {
  const sequence = counting(100);
  const a = randomWindowStarts(new Rng(7), 500, sequence, 10);
  assert.deepEqual(a, randomWindowStarts(new Rng(7), 500, sequence, 10));
  assert.notDeepEqual(a, randomWindowStarts(new Rng(8), 500, sequence, 10));
  assert.ok(a.every((s) => s >= 0 && s <= 89), 'start + 10 + 1 <= 100');
  assert.ok(a.includes(0) && a.includes(89), 'both ends are reachable');
  assert.throws(() => randomWindowStarts(new Rng(0), 1, counting(10), 10), { code: 'DATA_INVALID', message: /"counting" holds 10 tokens, fewer than one window of context 10 \+ 1/ });
});

test('a window holds tokens [s, s+T) as inputs and [s+1, s+T+1) as labels', () => {
  const sequence = counting(100);
  const buffer = allocateWindows(3, 4);
  const windows = gatherWindows(sequence, [0, 47, 95], buffer);
  assert.deepEqual(windows.inputs, BigInt64Array.from([0n, 1n, 2n, 3n, 47n, 48n, 49n, 0n, 45n, 46n, 47n, 48n]));
  assert.deepEqual(windows.labels, BigInt64Array.from([1n, 2n, 3n, 4n, 48n, 49n, 0n, 1n, 46n, 47n, 48n, 49n]));
  assert.equal(gatherWindows(sequence, [5], buffer).inputs.length, 4, 'fewer windows view the first rows');
  assert.throws(() => gatherWindows(sequence, [96], buffer), { code: 'BAD_ARGUMENT', message: /runs past/ });
});

test('evaluation windows tile the sequence without overlap; an epoch holds the training tokens once', () => {
  assert.deepEqual([...sequentialWindowStarts(counting(21), 5)], [0, 5, 10, 15]); // 15 + 5 + 1 = 21
  assert.deepEqual([...sequentialWindowStarts(counting(20), 5)], [0, 5, 10]);
  assert.equal(languageModelStepsPerEpoch(1_000_000, 64, 128), 122);
  assert.equal(languageModelStepsPerEpoch(100, 64, 128), 1);
});

test('window batches: the starts in order, batchSize at a time, the last batch short', () => {
  const sequence = counting(100);
  const starts = sequentialWindowStarts(sequence, 10); // 0, 10, ..., 80: 9 windows
  const batches = Array.from(windowBatches(sequence, starts, 10, 4), (b) => ({ count: b.count, first: Number(b.inputs[0]), inputs: b.inputs.slice() }));
  assert.deepEqual(batches.map((b) => b.count), [4, 4, 1]);
  assert.deepEqual(batches.map((b) => b.first), [0, 40, 30], 'tokens count modulo 50: window 80 starts with 30');
  assert.deepEqual(batches[2]!.inputs, BigInt64Array.from({ length: 10 }, (_, i) => BigInt((80 + i) % 50)));
  assert.throws(() => windowBatches(sequence, starts, 10, 0).next(), { code: 'BAD_ARGUMENT', message: /batch size must be a positive integer, got 0/ });
});
