import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BitReader, BitWriter } from '../../src/encode/bits.js';
import { huffmanCodeLengths, huffmanDecode, huffmanEncode } from '../../src/encode/huffman.js';
import { kmeans1d, linearInit } from '../../src/encode/kmeans.js';
import { fromSparseEntries, toSparseEntries } from '../../src/encode/sparseIndex.js';

test('Huffman code lengths of CLRS\'s table (45,13,12,16,9,5) cost the optimal 224 bits, and decode back', () => {
  const freq = [45, 13, 12, 16, 9, 5];
  const lengths = huffmanCodeLengths(freq);
  assert.deepEqual(Array.from(lengths), [1, 3, 3, 3, 4, 4]);
  assert.equal(freq.reduce((a, f, i) => a + f * lengths[i]!, 0), 224);
  const symbols = freq.flatMap((f, s) => Array<number>(f).fill(s));
  const writer = new BitWriter();
  huffmanEncode(symbols, lengths, writer);
  assert.equal(writer.bitLength, 224);
  assert.deepEqual(Array.from(huffmanDecode(new BitReader(writer.finish()), lengths, symbols.length)), symbols);
  assert.deepEqual(Array.from(huffmanCodeLengths([0, 7, 0])), [0, 1, 0]);
});

test('1-D k-means: linear initialization between min and max, then the three clusters of a toy', () => {
  assert.deepEqual(Array.from(linearInit([2, -1, 0.5], 4)), [-1, 0, 1, 2]);
  const values = [-1.1, -1, -0.9, 0.45, 0.5, 0.55, 1.9, 2, 2.1, 2.0];
  const { centroids, assignments } = kmeans1d(values, 3);
  assert.deepEqual(Array.from(centroids, (c) => +c.toFixed(4)), [-1, 0.5, 2]);
  assert.deepEqual(Array.from(assignments), [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]);
});

test('relative indices: a gap wider than the field gets filler zeros (Han et al. 2016, Figure 2)', () => {
  // 3-bit relative indices as the paper's figure: positions 1, 4 and 15.
  const clusters = new Int32Array(16).fill(-1);
  clusters[1] = 5;
  clusters[4] = 2;
  clusters[15] = 7;
  const entries = toSparseEntries(clusters, 3, 8);
  assert.deepEqual(Array.from(entries.gaps), [1, 2, 7, 2]);
  assert.deepEqual(Array.from(entries.symbols), [5, 2, 8, 7]);
  assert.deepEqual(fromSparseEntries(entries, 16), clusters);
});
