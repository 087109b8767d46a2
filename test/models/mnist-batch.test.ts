import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jitterImages } from '../../src/data/augment.js';
import { allocateBatch, gatherBatch } from '../../src/data/batches.js';
import { reshapeInputs, subset } from '../../src/data/dataset.js';
import { loadMnist } from '../../src/data/mnist.js';
import { buildArchitecture, inputLayoutOf, parseArchitecture } from '../../src/models/spec.js';
import { encodeModel } from '../../src/onnx/model.js';
import { floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { Session } from '../../src/runtime/session.js';

test('a jittered MNIST batch runs through every architecture in the layout it asks for', async () => {
  const flat = subset(loadMnist({ split: 'test' }), 8);
  for (const text of ['mlp:64', 'lenet5', 'resnet:4,8']) {
    const architecture = parseArchitecture(text);
    const dataset = inputLayoutOf(architecture) === 'image' ? reshapeInputs(flat, [1, 28, 28]) : flat;
    const batch = gatherBatch(dataset, [0, 3, 5], allocateBatch(dataset, 4));
    jitterImages(batch.inputs, { height: 28, width: 28, rng: 1 });
    const session = await Session.create(encodeModel(buildArchitecture(architecture, { seed: 0, inputDims: dataset.inputDims })));
    const { logits } = await session.run({ input: floatTensor(batch.inputs, batch.dims) });
    await session.dispose();
    assert.deepEqual([...logits!.dims], [3, 10], text);
    assert.ok(readFloats(logits!).every(Number.isFinite), text);
  }
});
