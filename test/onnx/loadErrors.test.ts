/** loadModel turns every kind of bad file into a RetortError with a stable code and a message naming the file. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, saveModel } from '../../src/onnx/model.js';
import { RetortError, type RetortErrorCode } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { fixturesDir } from '../helpers/fixtures.js';

let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'retort-bad-models-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertLoadFails(file: string, code: RetortErrorCode, message: RegExp): void {
  assert.throws(
    () => loadModel(file),
    (e: unknown) => {
      assert.ok(e instanceof RetortError, `expected a RetortError, got ${String(e)}`);
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    },
  );
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('loadModel on bad input', () => {
  it('a truncated model is CORRUPT_MODEL', () => {
    const bytes = readFileSync(path.join(fixturesDir, 'lenet5_bn.onnx'));
    for (const keep of [0.5, 0.9, 0.999]) {
      const file = path.join(dir, `truncated-${keep}.onnx`);
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.byteLength * keep)));
      assertLoadFails(file, 'CORRUPT_MODEL', new RegExp(`^${escape(file)} is a truncated or corrupt ONNX model`));
    }
  });

  it('a model whose graph lost its first nodes is CORRUPT_MODEL naming the dangling input', () => {
    // Hand-made: a valid ModelProto whose graph has a node reading a value nothing produces.
    const file = path.join(dir, 'dangling.onnx');
    const model = loadModel(path.join(fixturesDir, 'mlp.onnx'));
    model.graph!.node.shift();
    saveModel(model, file);
    assertLoadFails(file, 'CORRUPT_MODEL', /node ".*" \(Relu\) reads ".*", which no input, initializer or node produces/);
  });

  it('random bytes and a text file are NOT_ONNX', () => {
    const rng = new Rng(7);
    const random = path.join(dir, 'random.onnx');
    writeFileSync(random, Uint8Array.from({ length: 4096 }, () => rng.int(256)));
    assertLoadFails(random, 'NOT_ONNX', new RegExp(`^${escape(random)} is not an ONNX model`));
    const text = path.join(dir, 'notes.onnx');
    writeFileSync(text, 'This is a README, not a model.\n');
    assertLoadFails(text, 'NOT_ONNX', new RegExp(`^${escape(text)} is not an ONNX model`));
    const empty = path.join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    assertLoadFails(empty, 'NOT_ONNX', /is empty, not an ONNX model/);
  });

  it('a missing external data file is EXTERNAL_DATA_MISSING naming tensor and file', () => {
    const file = path.join(dir, 'ext.onnx');
    saveModel(loadModel(path.join(fixturesDir, 'mlp.onnx')), file, { externalData: { threshold: 1024 } });
    unlinkSync(`${file}.data`);
    assertLoadFails(file, 'EXTERNAL_DATA_MISSING', new RegExp(`Tensor "l1.weight" keeps its data in "${escape(file)}.data", which does not exist`));
  });

  it('a short external data file is EXTERNAL_DATA_MISSING', () => {
    const file = path.join(dir, 'short.onnx');
    saveModel(loadModel(path.join(fixturesDir, 'mlp.onnx')), file, { externalData: { threshold: 1024 } });
    const data = readFileSync(`${file}.data`);
    writeFileSync(`${file}.data`, data.subarray(0, data.byteLength - 1));
    assertLoadFails(file, 'EXTERNAL_DATA_MISSING', /needs bytes \d+\.\.\d+ of ".*short\.onnx\.data", which holds only \d+/);
  });

  it('a path that does not exist is FILE_NOT_FOUND, a directory NOT_ONNX', () => {
    const missing = path.join(dir, 'nope', 'model.onnx');
    assertLoadFails(missing, 'FILE_NOT_FOUND', new RegExp(`^No such file: ${escape(missing)}$`));
    assertLoadFails(dir, 'NOT_ONNX', /is a directory, not an ONNX model/);
  });

  it('a copied model still loads (the checks above are about the damage, not the copy)', () => {
    const file = path.join(dir, 'copy.onnx');
    copyFileSync(path.join(fixturesDir, 'lenet5_bn.onnx'), file);
    assert.equal(loadModel(file).graph!.node.length, 21);
  });
});
