/**
 * The omitted-class transfer set (Hinton et al. 2015, §3): no sample of the class is left, the
 * others keep their order, and the cached teacher logits cover exactly the kept samples.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDataset } from '../../src/data/dataset.js';
import { omitClass } from '../../src/distill/omitClass.js';
import { cacheTeacherLogits, openTeacher, teacherLogits } from '../../src/distill/teacherSignals.js';
import { buildMlp } from '../../src/models/mlp.js';
import { Rng } from '../../src/util/random.js';

function digits(count: number) {
  const rng = new Rng(11);
  const inputs = Float32Array.from({ length: count * 6 }, () => rng.normal());
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7) % 10);
  return makeDataset({ name: 'toy', inputs, inputDims: [6], labels, numClasses: 10 });
}

test('omitting class 3 leaves no 3 and keeps every other sample, in order', () => {
  const data = digits(100);
  const kept = omitClass(data, 3);
  assert.equal(kept.length, 90);
  assert.ok(!kept.labels.includes(3));
  const expected = [...data.labels.keys()].filter((i) => data.labels[i] !== 3);
  expected.forEach((source, k) => {
    assert.equal(kept.labels[k], data.labels[source]);
    assert.deepEqual(kept.inputs.subarray(k * 6, (k + 1) * 6), data.inputs.subarray(source * 6, (source + 1) * 6));
  });
  assert.equal(kept.name, 'toy-without-3');
  assert.throws(() => omitClass(data, 10), /Cannot omit class 10: dataset "toy" has classes 0..9/);
  assert.throws(() => omitClass(data, -1), /Cannot omit class -1/);
});

test('the teacher cache over the transfer set covers only the kept samples', async () => {
  const data = digits(50);
  const kept = omitClass(data, 3);
  const teacher = await openTeacher(buildMlp({ inputDims: [6], hidden: [8], numClasses: 10, seed: 2 }));
  try {
    const cache = await cacheTeacherLogits(teacher, kept, 16);
    assert.equal(cache.classes, 10);
    assert.equal(cache.logits.length, kept.length * 10);
    // Row k is the teacher's output on kept sample k (not on the k-th sample of the full set).
    const direct = await teacherLogits(teacher, kept.inputs, kept.length);
    assert.deepEqual(cache.logits, direct);
  } finally {
    await teacher.session.dispose();
  }
});
