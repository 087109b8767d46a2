import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';

const checkpoint: Checkpoint = {
  configHash: 'abc',
  seed: 5,
  position: { step: 12, epoch: 1, batchInEpoch: 3 },
  tensors: [
    { name: 'w', dims: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
    { name: 'w:momentum', dims: [2], data: Float32Array.of(-1, 0.5) },
  ],
  trainerState: { history: [{ epoch: 0 }] },
};

test('a checkpoint round-trips through its binary format', () => {
  const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint));
  assert.deepEqual(decoded, checkpoint);
});

test('damaged checkpoints are CHECKPOINT_INVALID errors naming the problem', () => {
  const bytes = encodeCheckpoint(checkpoint);
  assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4), 'run.ckpt'), { code: 'CHECKPOINT_INVALID', message: /truncated/ });
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 1]! ^= 0xff;
  assert.throws(() => decodeCheckpoint(flipped, 'run.ckpt'), { code: 'CHECKPOINT_INVALID', message: /SHA-256/ });
  assert.throws(() => decodeCheckpoint(new TextEncoder().encode('not a checkpoint at all'), 'x'), { code: 'CHECKPOINT_INVALID' });
});
