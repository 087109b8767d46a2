/**
 * Parity with PyTorch: for every exported fixture, retort's loss, logits, input gradient and the
 * gradient of every mapped parameter match PyTorch's to a relative error under 1e-3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { checkAgainstReference } from '../../src/eval/gradcheck/gradcheck.js';
import { loadReference } from '../../src/eval/gradcheck/reference.js';
import { loadModel } from '../../src/onnx/model.js';
import { fixtureNames, fixturesDir } from '../helpers/fixtures.js';

test('all four PyTorch fixtures are present', () => {
  assert.deepEqual([...fixtureNames], ['gpt_tiny', 'lenet5_bn', 'mlp', 'tiny_resnet']);
});

for (const name of fixtureNames) {
  test(`${name}: gradients match PyTorch within 1e-3`, async () => {
    const reference = loadReference(path.join(fixturesDir, `${name}.ref`));
    const result = await checkAgainstReference(loadModel(path.join(fixturesDir, `${name}.onnx`)), reference, 1e-3);
    const failures = result.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.relativeError.toExponential(3)}`);
    assert.deepEqual(failures, [], `relative errors above 1e-3: ${failures.join(', ')}`);
    // Every reference gradient was compared, plus the loss and logits.
    const compared = new Set(result.checks.map((c) => c.name));
    for (const grad of reference.grads.keys()) assert.ok(compared.has(grad), `${grad} not compared`);
    assert.ok(compared.has('loss') && compared.has('logits'));
    if (reference.dInput) assert.ok([...compared].some((c) => c.startsWith('d(')));
  });
}

test('a perturbed reference gradient is caught', async () => {
  const reference = loadReference(path.join(fixturesDir, 'mlp.ref'));
  const grad = reference.grads.get('l2.weight')!;
  grad.data[5] = grad.data[5]! + 0.01 * Math.max(...Array.from(grad.data, Math.abs));
  const result = await checkAgainstReference(loadModel(path.join(fixturesDir, 'mlp.onnx')), reference, 1e-3);
  assert.equal(result.pass, false);
  assert.deepEqual(result.checks.filter((c) => !c.pass).map((c) => c.name), ['l2.weight']);
});
