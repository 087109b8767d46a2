/**
 * A student made of a subset of the teacher's layers (DistilBERT's initialization) distilled on
 * token windows: it starts from the teacher's computation and distillation trains it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distill } from '../../../src/distill/distill.js';
import { languageStudent } from '../../../src/distill/language/student.js';
import { tokenKdTerms } from '../../../src/distill/language/tokenKd.js';
import { transformerLayerCount } from '../../../src/models/layerSubset.js';
import { parameterCount } from '../../../src/onnx/parameters.js';
import { Graph } from '../../../src/onnx/graph.js';
import { CONTEXT, data, heldOutWindows, logitsOf, meanKl, sharpTeacher, trainerConfig, VOCAB } from './helpers.js';

const teacher = sharpTeacher(1, 10, { layers: 4, dim: 32 });

test('every other teacher layer, then 25 steps of forward KL: half the blocks, and closer to the teacher than a fresh student of the same shape', async () => {
  const options = { seed: 0, vocabSize: VOCAB, context: CONTEXT };
  const fromTeacher = languageStudent({ kind: 'teacher-layers', layers: 'every-other' }, teacher, options);
  const fresh = languageStudent({ kind: 'arch', arch: 'gpt:layers=2,dim=32,heads=2,context=16' }, teacher, options);
  assert.equal(transformerLayerCount(fromTeacher), 2);
  assert.equal(parameterCount(new Graph(fromTeacher.graph!)), parameterCount(new Graph(fresh.graph!)));
  assert.ok(parameterCount(new Graph(fromTeacher.graph!)) < parameterCount(new Graph(teacher.graph!)));
  const windows = heldOutWindows();
  const teacherLogits = await logitsOf(teacher, windows);
  const klAfter = async (student: typeof teacher) => {
    const result = await distill({ teacher, student, data, trainer: trainerConfig({ maxSteps: 25, schedule: { kind: 'constant', lr: 3e-3 } }), terms: tokenKdTerms({ divergence: 'forward-kl', temperature: 1, alpha: 0 }) });
    assert.ok(Number.isFinite(result.lastLoss));
    assert.equal(transformerLayerCount(result.model), 2);
    return meanKl(teacherLogits, await logitsOf(result.model, windows), VOCAB, 'forward-kl');
  };
  const initial = meanKl(teacherLogits, await logitsOf(fromTeacher, windows), VOCAB, 'forward-kl');
  const [teacherInit, freshInit] = [await klAfter(fromTeacher), await klAfter(fresh)];
  assert.ok(teacherInit < freshInit, `forward KL after distillation: teacher-layers init ${teacherInit.toFixed(4)} (from ${initial.toFixed(4)}), fresh init ${freshInit.toFixed(4)}`);
});

test('a student of all the teacher\'s layers computes what the teacher computes; an architecture student is built for the vocabulary', async () => {
  const all = languageStudent({ kind: 'teacher-layers', layers: [0, 1, 2, 3] }, teacher, { seed: 0, vocabSize: VOCAB, context: CONTEXT });
  const windows = heldOutWindows(4);
  assert.deepEqual(Array.from(await logitsOf(all, windows)), Array.from(await logitsOf(teacher, windows)));
  const built = languageStudent({ kind: 'arch', arch: 'gpt:layers=1,dim=16,heads=2,context=16' }, teacher, { seed: 2, vocabSize: VOCAB, context: CONTEXT });
  assert.equal((await logitsOf(built, windows)).length, 4 * CONTEXT * VOCAB);
  assert.equal(built.metadataProps?.find((p) => p.key === 'retort.context')?.value, String(CONTEXT));
});
