import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, ftruncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeModel, loadModel, saveModel } from '../../src/onnx/model.js';
import { newGraph, newModel, newTensor } from '../../src/onnx/proto.js';
import { RetortError } from '../../src/util/errors.js';

test('a file of 2 GiB or more is refused before reading, naming external data', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'retort-big-'));
  const file = path.join(dir, 'huge.onnx');
  // A sparse file: 2.1 GiB long, no disk blocks used.
  const fd = openSync(file, 'w');
  ftruncateSync(fd, Math.round(2.1 * 2 ** 30));
  closeSync(fd);
  try {
    assert.throws(() => loadModel(file), (e: unknown) => {
      assert.ok(e instanceof RetortError);
      assert.equal(e.code, 'MODEL_TOO_LARGE');
      assert.match(e.message, /huge\.onnx is 2\.10 GiB.*external data/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A model whose one tensor claims 2 GiB of raw data (without allocating it). */
function modelClaiming2GiB() {
  const tensor = newTensor({ name: 'w', dataType: 1, dims: [2 ** 29] });
  tensor.rawData = { byteLength: 2 ** 31 } as Uint8Array;
  return newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'g', initializer: [tensor] }) });
}

test('encoding 2 GiB of tensors inline is refused with a pointer to external data', () => {
  assert.throws(() => encodeModel(modelClaiming2GiB()), (e: unknown) => {
    assert.ok(e instanceof RetortError && e.code === 'MODEL_TOO_LARGE');
    assert.match(e.message, /2\.00 GiB.*external data/);
    return true;
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'retort-big-'));
  try {
    assert.throws(() => saveModel(modelClaiming2GiB(), path.join(dir, 'm.onnx')), /MODEL_TOO_LARGE|external data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
