/**
 * The teacher-command protocol with a tiny Node script as the black-box teacher (process.execPath
 * as the program, no shell): it reads one JSON sample per line from stdin and answers top-2 or a label.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeDataset } from '../../../src/data/dataset.js';
import { blackBoxDistill } from '../../../src/distill/blackBox/blackBoxDistill.js';
import { runTeacherCommand, teacherCommandOutputs, teacherInputLine } from '../../../src/distill/blackBox/teacherCommand.js';
import { buildMlp } from '../../../src/models/mlp.js';
import { RetortError } from '../../../src/util/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'retort-teacher-command-'));
/** The teacher: class = index of the largest input among the first 3 features; top-2 with 0.8 / 0.1. */
const script = path.join(dir, 'teacher.mjs');
writeFileSync(script, `
import { createInterface } from 'node:readline';
const mode = process.argv[2] ?? 'topk';
let n = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const { index, dims, input } = JSON.parse(line);
  if (index !== n++ || dims.join() !== '6' || input.length !== 6) { console.error('bad sample ' + line); process.exit(3); }
  const best = input.slice(0, 3).indexOf(Math.max(...input.slice(0, 3)));
  if (mode === 'fail') { console.error('teacher broke on purpose'); process.exit(7); }
  if (mode === 'bad') { console.log('{"label": 9}'); continue; }
  if (mode === 'hang') { console.error('thinking...'); await new Promise(() => setInterval(() => {}, 1000)); }
  console.log(mode === 'label' ? JSON.stringify({ label: best }) : JSON.stringify({ topk: [[best, 0.8], [(best + 1) % 3, 0.1]] }));
}
`);

function dataset(length: number) {
  const inputs = Float32Array.from({ length: length * 6 }, (_, i) => Math.fround(Math.sin(i * 1.7) + (i % 6 === Math.floor(i / 6) % 3 ? 2 : 0)));
  const labels = Int32Array.from({ length }, (_, i) => i % 3);
  return makeDataset({ name: 'toy', inputs, inputDims: [6], labels, numClasses: 3 });
}

test('the command reads the samples in order on stdin and its JSONL answers become outputs', async () => {
  const data = dataset(300);
  const { outputs, text } = await teacherCommandOutputs([process.execPath, script], data);
  assert.equal(text.trim().split('\n').length, 300, 'the raw answers come back too, to be kept');
  assert.equal(outputs.length, 300);
  assert.deepEqual(outputs[4], { kind: 'topk', topk: [[1, 0.8], [2, 0.1]] });
  const { outputs: labels } = await teacherCommandOutputs([process.execPath, script, 'label'], data);
  assert.deepEqual(labels.map((o) => (o.kind === 'label' ? o.label : -1)), Array.from(data.labels));
  // Floats travel with 9 significant digits: the float32 comes back exactly.
  const sent = JSON.parse(teacherInputLine(data, 7)) as { input: number[] };
  assert.deepEqual(Float32Array.from(sent.input), data.inputs.subarray(42, 48));
  // And a student learns from them.
  const result = await blackBoxDistill({
    student: buildMlp({ inputDims: [6], hidden: [8], numClasses: 3, seed: 1 }), data: { train: data }, outputs, alpha: 0,
    trainer: { batchSize: 30, epochs: 3, seed: 1, optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.1 }, progress: 'silent', threads: 1 },
  });
  assert.ok(Number.isFinite(result.lastLoss));
  assert.ok(result.history.at(-1)!.trainLoss < result.history[0]!.trainLoss, JSON.stringify(result.history.map((h) => h.trainLoss)));
});

test('a failing, missing or misbehaving command is a clear error', async () => {
  const data = dataset(20);
  await assert.rejects(runTeacherCommand([process.execPath, script, 'fail'], data), (e: RetortError) => e.code === 'RUNTIME_FAILURE' && /exited with status 7; its stderr ends: teacher broke on purpose/.test(e.message));
  await assert.rejects(runTeacherCommand([path.join(dir, 'no-such-teacher')], data), (e: RetortError) => e.code === 'FILE_NOT_FOUND' && /could not start/.test(e.message));
  await assert.rejects(teacherCommandOutputs([process.execPath, script, 'bad'], data), (e: RetortError) => e.code === 'DATA_INVALID' && /from command .*line 1: "label" 9 is not a class id in 0..2/.test(e.message));
});

test('a teacher past its timeout is stopped and named; a fast one finishes within it', async () => {
  const data = dataset(20);
  const started = performance.now();
  await assert.rejects(runTeacherCommand([process.execPath, script, 'hang'], data, { timeoutSeconds: 0.5 }), (e: RetortError) => e.code === 'RUNTIME_FAILURE' && /did not finish within 0.5 s and was stopped; its stderr ends: thinking\.\.\./.test(e.message));
  assert.ok(performance.now() - started < 5000, 'SIGTERM ends it without waiting for the SIGKILL grace');
  assert.equal((await teacherCommandOutputs([process.execPath, script, 'label'], data, { timeoutSeconds: 30 })).outputs.length, 20);
  await assert.rejects(runTeacherCommand([process.execPath, script], data, { timeoutSeconds: 0 }), (e: RetortError) => e.code === 'BAD_ARGUMENT' && /timeout 0 s/.test(e.message));
});
