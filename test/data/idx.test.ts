import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdx } from '../../src/data/idx.js';
import { isRetortError } from '../../src/util/errors.js';

/** IDX bytes written out by hand: magic 00 00 type rank, big-endian dims, then the payload. */
function idxBytes(typeCode: number, dims: number[], payload: number[]): Uint8Array {
  const header = [0, 0, typeCode, dims.length];
  for (const d of dims) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...header, ...payload]);
}

const dataInvalid = (pattern: RegExp) => (e: unknown) => isRetortError(e) && e.code === 'DATA_INVALID' && pattern.test(e.message);

test('parses unsigned bytes with their dims', () => {
  const parsed = parseIdx(idxBytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255]));
  assert.deepEqual(parsed.dims, [2, 3]);
  assert.equal(parsed.type, 'ubyte');
  assert.ok(parsed.data instanceof Uint8Array);
  assert.deepEqual([...parsed.data], [0, 1, 2, 253, 254, 255]);
});

test('parses signed and multi-byte types big-endian', () => {
  assert.deepEqual([...parseIdx(idxBytes(0x09, [2], [0xff, 0x7f])).data], [-1, 127]);
  assert.deepEqual([...parseIdx(idxBytes(0x0b, [2], [0x01, 0x02, 0xff, 0xfe])).data], [258, -2]);
  assert.deepEqual([...parseIdx(idxBytes(0x0c, [1], [0x00, 0x01, 0x00, 0x00])).data], [65536]);
  // 1.5f = 0x3fc00000, -2.0 (double) = 0xc000000000000000
  assert.deepEqual([...parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0])).data], [1.5]);
  assert.deepEqual([...parseIdx(idxBytes(0x0e, [1], [0xc0, 0, 0, 0, 0, 0, 0, 0])).data], [-2]);
});

test('dims above 2^16 read as big-endian uint32', () => {
  const parsed = parseIdx(idxBytes(0x08, [70000, 0], []));
  assert.deepEqual(parsed.dims, [70000, 0]);
  assert.equal(parsed.data.length, 0);
});

test('bad magic, unknown type, truncation and trailing bytes name the file', () => {
  assert.throws(() => parseIdx(Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]), 'x.idx'), dataInvalid(/x\.idx.*magic.*0x01 0x00/));
  assert.throws(() => parseIdx(idxBytes(0x0a, [1], [0]), 'x.idx'), dataInvalid(/x\.idx.*type code 0x0a.*0x08 ubyte/));
  assert.throws(() => parseIdx(Uint8Array.from([0, 0]), 'x.idx'), dataInvalid(/x\.idx.*2 bytes/));
  assert.throws(() => parseIdx(idxBytes(0x08, [3], []).subarray(0, 6), 'x.idx'), dataInvalid(/x\.idx.*truncated header/));
  assert.throws(() => parseIdx(idxBytes(0x0c, [2, 2], [0, 0, 0, 1]), 'x.idx'), dataInvalid(/x\.idx.*truncated.*need 28 bytes.*has 16/));
  assert.throws(() => parseIdx(idxBytes(0x08, [2], [1, 2, 3]), 'x.idx'), dataInvalid(/x\.idx.*1 bytes follow/));
});

test('reads files, gzip-compressed or not; a missing file is FILE_NOT_FOUND', () => {
  const dir = mkdtempSync(join(tmpdir(), 'retort-idx-'));
  const bytes = idxBytes(0x08, [2, 2], [9, 8, 7, 6]);
  writeFileSync(join(dir, 'plain-idx1-ubyte'), bytes);
  writeFileSync(join(dir, 'packed-idx1-ubyte.gz'), gzipSync(bytes));
  assert.deepEqual([...readIdx(join(dir, 'plain-idx1-ubyte')).data], [9, 8, 7, 6]);
  assert.deepEqual([...readIdx(join(dir, 'packed-idx1-ubyte.gz')).data], [9, 8, 7, 6]);
  assert.throws(() => readIdx(join(dir, 'absent')), (e: unknown) => isRetortError(e) && e.code === 'FILE_NOT_FOUND' && e.message.includes('absent'));
});
