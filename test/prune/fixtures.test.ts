import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { encodeModel, loadModel } from '../../src/onnx/model.js';
import { prune } from '../../src/prune/prune.js';
import { sparsityReport } from '../../src/prune/sparsity.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { loadReference } from '../../src/eval/gradcheck/reference.js';

const fixtures = path.resolve(process.cwd(), '../shared/fixtures/torch');

async function outputs(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await Session.create(bytes);
  try {
    const result = await session.run({ [session.inputNames[0]!]: floatTensor(input, dims) });
    return result[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

for (const name of ['mlp', 'lenet5_bn']) {
  test(`sparsity 0 leaves ${name} (PyTorch export) computing the same outputs; 50% prunes half its weights`, { skip: !existsSync(path.join(fixtures, `${name}.onnx`)) }, async () => {
    const model = loadModel(path.join(fixtures, `${name}.onnx`));
    const ref = loadReference(path.join(fixtures, `${name}.ref`));
    const input = ref.input.data as Float32Array;
    const original = await outputs(encodeModel(model), input, ref.input.dims);
    const same = prune(model, { importance: { method: 'magnitude' }, selection: { pattern: 'unstructured', sparsity: 0, scope: 'layer' } });
    assert.ok(same.layers.length >= 2, `${name}: prunable layers ${same.layers.map((l) => l.name).join(', ')}`);
    assert.deepEqual(await outputs(encodeModel(same.model), input, ref.input.dims), original);
    const half = prune(model, { importance: { method: 'magnitude' }, selection: { pattern: 'unstructured', sparsity: 0.5, scope: 'global' } });
    const report = sparsityReport(half.model);
    assert.equal(report.prunable.zeros, Math.round(0.5 * report.prunable.count));
    assert.notDeepEqual(await outputs(encodeModel(half.model), input, ref.input.dims), original);
  });
}
