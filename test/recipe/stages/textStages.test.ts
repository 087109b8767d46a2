/**
 * The stage kinds `train`, `distill` and `eval` on a text entry (`key: text`), called as the runner
 * calls them: a small GPT teacher trained on 4,000 characters of Tiny Shakespeare, students distilled
 * from it by token-level KD, on-policy and sequence-level KD, exact resume, the validation scores,
 * and the kwargs that only one kind of data takes refused with their names.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadVocab, tokenizerFromMetadata } from '../../../src/data/text/vocab.js';
import type { LanguageDistillMetrics } from '../../../src/distill/language/distillationRun.js';
import { loadModel, saveModel } from '../../../src/onnx/model.js';
import { findPrunableLayers, readLayerWeights } from '../../../src/prune/layers.js';
import { prune } from '../../../src/prune/prune.js';
import { dataInput } from '../../../src/recipe/pipeline/data.js';
import type { DataInput, StageContext } from '../../../src/recipe/pipeline/stageKind.js';
import { textKwargsSchema } from '../../../src/recipe/pipeline/textData.js';
import { distillStage } from '../../../src/recipe/stages/distill.js';
import { evalStage } from '../../../src/recipe/stages/eval.js';
import { quantizeStage } from '../../../src/recipe/stages/quantize.js';
import { trainStage } from '../../../src/recipe/stages/train.js';
import type { LanguageModelMetrics } from '../../../src/train/languageModelRun.js';
import { modelInput, stageContext, tempDir } from './context.js';

const textFile = path.join(tempDir('retort-text-stage-'), 'shakespeare.txt');
writeFileSync(textFile, readFileSync(path.resolve('../shared/data/tinyshakespeare.txt'), 'utf8').slice(0, 10_000));
/** 9,000 training characters cut to 4,000; 1,000 validation characters cut to 600. */
const text = (): DataInput => dataInput('shakespeare', { key: 'text', kwargs: textKwargsSchema.parse({ path: path.basename(textFile), limitTrain: 4000, limitValidation: 600 }) }, path.dirname(textFile));

function textContext(options: Parameters<typeof stageContext>[0] = {}): StageContext & { lines: string[] } {
  return { ...stageContext(options), data: { data: text() } };
}

const quick = { epochs: 2, stepsPerEpoch: 4, batchSize: 8, optimizer: { key: 'adamw', kwargs: { lr: 0.005 } } };
const training = <M>(dir: string): M => JSON.parse(readFileSync(path.join(dir, 'training.json'), 'utf8')) as M;
const bytesOf = (dir: string): Buffer => readFileSync(path.join(dir, 'model.onnx'));
let teacherPath = '';
const teacher = () => ({ teacher: modelInput(teacherPath) });

before(async () => {
  const ctx = textContext({ seed: 1 });
  await trainStage.run(ctx, trainStage.kwargs.parse({ arch: 'gpt:layers=2,dim=32,heads=2,context=32', ...quick, stepsPerEpoch: 8 }));
  teacherPath = path.join(ctx.dir, 'model.onnx');
});

test('train on a text entry: a GPT on windows of the cut training split, scored on the cut validation split, with its tokenizer', async () => {
  const t = training<LanguageModelMetrics>(path.dirname(teacherPath));
  assert.deepEqual([t.task, t.status, t.steps, t.epochs.length], ['languageModeling', 'complete', 16, 2]);
  assert.deepEqual([t.data.trainTokens, t.data.validationTokens, t.config.context, t.data.tokenizer], [4000, 600, 32, 'char']);
  assert.deepEqual(tokenizerFromMetadata(loadModel(teacherPath)), loadVocab(teacherPath.replace(/\.onnx$/, '.vocab.json')));
  // The model input keeps the tokenizer it carries; the stage metrics are the validation split's.
  const ctx = textContext({ models: { model: modelInput(teacherPath) } });
  const out = await trainStage.run(ctx, trainStage.kwargs.parse({ ...quick, epochs: 1 }));
  const m = out.metrics as Record<string, number>;
  const record = training<LanguageModelMetrics>(ctx.dir);
  assert.equal(record.config.model.source, 'file');
  assert.equal(m.validationLoss, record.validation!.loss);
  assert.equal(m.perplexity, record.validation!.perplexity);
  assert.equal(m.validationTokens, 18 * 32, '600 validation characters hold 18 windows of 32 + 1');
  // Continues from the trained weights: near the teacher's loss, far below a fresh model's ln 65.
  assert.ok(Math.abs(m.validationLoss - t.validation!.loss) < 0.3 && m.validationLoss < Math.log(65) - 0.5, `${t.validation!.loss} -> ${m.validationLoss}`);
  assert.equal(m.parameters, t.model.parameters);
  await assert.rejects(trainStage.run(textContext(), trainStage.kwargs.parse({ ...quick, arch: 'mlp:16' })), /data entry "shakespeare" is text; kwargs\.arch must be a language model \(gpt:\.\.\.\)/);
  await assert.rejects(trainStage.run(textContext(), trainStage.kwargs.parse({ ...quick, arch: 'gpt:layers=1,dim=16,heads=2,context=32', jitter: 2 })), /kwargs\.jitter shifts images/);
});

test('distill on a text entry: token-level reverse KL into the teacher\'s first layer; the eval stage scores it the same way', async () => {
  const ctx = textContext({ models: teacher(), seed: 2 });
  const terms = [{ key: 'ce', weight: 0.3 }, { key: 'kd', weight: 0.7, kwargs: { divergence: 'reverse-kl', temperature: 1 } }];
  const out = await distillStage.run(ctx, distillStage.kwargs.parse({ ...quick, studentFromTeacherLayers: [0], terms, clipNorm: 1 }));
  const m = out.metrics as Record<string, number | string>;
  const record = training<LanguageDistillMetrics>(ctx.dir);
  assert.deepEqual(record.config.student, { source: 'teacher-layers', layers: [0] });
  assert.deepEqual(record.config.terms.map((t) => [t.name, t.weight]), [['ce', 0.3], ['kd', 0.7]]);
  assert.equal(record.config.clipNorm, 1);
  assert.equal(m.method, 'token-level');
  assert.equal(m.validationLoss, record.validation!.loss);
  assert.equal(m.teacherValidationLoss, record.teacher.validation!.loss);
  assert.equal(m.parameterRatio, record.student.parameters / record.teacher.parameters);
  assert.ok((m.parameters as number) < record.teacher.parameters);
  assert.ok(record.student.parameters === m.parameters);
  assert.deepEqual(tokenizerFromMetadata(loadModel(path.join(ctx.dir, 'model.onnx'))), tokenizerFromMetadata(loadModel(teacherPath)));

  const evaluated = textContext({ models: { model: { ...modelInput(path.join(ctx.dir, 'model.onnx')), label: 'student' } } });
  const report = await evalStage.run(evaluated, evalStage.kwargs.parse({}));
  assert.equal(report.metrics.validationLoss, m.validationLoss, 'the same windows of the same validation characters');
  const json = JSON.parse(readFileSync(report.artifacts.report!, 'utf8')) as { format: string; models: { name: string }[]; data: { context: number } };
  assert.deepEqual([json.format, json.models[0]!.name, json.data.context], ['retort-language-model-comparison', 'student', 32]);
  assert.match(readFileSync(report.artifacts.html!, 'utf8'), /<td>student<\/td>/);
});

test('stopped by maxSteps, then run again: token-level and sequence-level runs resume to the bytes of uninterrupted runs', async () => {
  const arch = 'gpt:layers=1,dim=16,heads=2,context=32';
  for (const extra of [{}, { sequenceKd: { tokens: 400, promptLength: 2 }, terms: [{ key: 'ce' }] }]) {
    const settings = { ...quick, arch, schedule: { key: 'cosine', kwargs: { warmupEpochs: 0.5 } }, checkpointEvery: 2, terms: [{ key: 'hinton', kwargs: { temperature: 2, alpha: 0.5 } }], ...extra };
    const whole = textContext({ models: teacher(), seed: 5 });
    await distillStage.run(whole, distillStage.kwargs.parse(settings));
    const dir = tempDir('retort-stage-');
    const first = await distillStage.run(textContext({ dir, models: teacher(), seed: 5 }), distillStage.kwargs.parse({ ...settings, maxSteps: 5 }));
    assert.equal(first.metrics.status, 'max-steps');
    const resumed = await distillStage.run(textContext({ dir, models: teacher(), seed: 5 }), distillStage.kwargs.parse(settings));
    assert.equal(resumed.metrics.resumedFromStep, 5, 'from the checkpoint written when the budget stopped it');
    assert.deepEqual(bytesOf(dir), bytesOf(whole.dir), JSON.stringify(extra));
    const strip = (m: LanguageDistillMetrics) => m.epochs.map(({ seconds: _s, samplesPerSecond: _r, tokensPerSecond: _t, ...rest }) => rest);
    assert.deepEqual(strip(training(dir)), strip(training(whole.dir)));
  }
});

test('on-policy kwargs: rounds on the student\'s samples; kwargs of one kind of data are refused on the other', async () => {
  const ctx = textContext({ models: teacher(), seed: 4 });
  const out = await distillStage.run(ctx, distillStage.kwargs.parse({ ...quick, arch: 'gpt:layers=1,dim=16,heads=2,context=32', onPolicy: { every: 2, poolSize: 4, promptLength: 3 }, terms: [{ key: 'kd', kwargs: { divergence: 'reverse-kl', temperature: 1 } }] }));
  assert.equal(out.metrics.method, 'on-policy');
  const method = training<LanguageDistillMetrics>(ctx.dir).method;
  assert.deepEqual(method.kind === 'on-policy' && [method.rounds, method.onPolicyRounds, method.sampledTokens], [4, 4, 4 * 4 * (33 - 3)]);

  const problems = distillStage.kwargs.safeParse({ epochs: 1, arch: 'gpt:layers=1,dim=16,heads=2,context=32', studentFromTeacherLayers: 'every-other', onPolicy: { every: 2 }, sequenceKd: { tokens: 10 } });
  assert.ok(!problems.success);
  assert.deepEqual(problems.error.issues.map((i) => [i.path.join('.'), i.message]), [
    ['sequenceKd', 'give at most one of onPolicy and sequenceKd'],
    ['studentFromTeacherLayers', 'give at most one of arch and studentFromTeacherLayers'],
  ]);
  const mnist = stageContext({ models: teacher() });
  await assert.rejects(distillStage.run(mnist, distillStage.kwargs.parse({ epochs: 1, arch: 'mlp:16', onPolicy: { every: 2 }, clipNorm: 1 })), /kwargs\.onPolicy, kwargs\.clipNorm apply to text data; data entry "mnist" is not text/);
  await assert.rejects(distillStage.run(textContext({ models: teacher() }), distillStage.kwargs.parse({ epochs: 1, arch: 'gpt:layers=1,dim=16,heads=2,context=32', keepSparsity: true, jitter: 1 })), /data entry "shakespeare" is text; language-model distillation does not take kwargs\.jitter/);
  await assert.rejects(distillStage.run(textContext({ models: teacher() }), distillStage.kwargs.parse({ epochs: 1 })), /give exactly one of the `student` input, kwargs\.arch \(gpt:\.\.\.\) or kwargs\.studentFromTeacherLayers/);
  // A classification-only stage given the text entry says so.
  await assert.rejects(quantizeStage.run(textContext({ models: { model: modelInput(teacherPath) } }), quantizeStage.kwargs.parse({ method: 'static' })), /Data entry "shakespeare" is text .* this stage takes classification data/);
});

test('keepSparsity on text: a 50%-pruned GPT student distilled token-level and on-policy keeps every zero; without it the zeros fill in', async () => {
  const dir = tempDir('retort-text-sparse-');
  const pruned = prune(loadModel(teacherPath), { importance: { method: 'magnitude' }, selection: { pattern: 'unstructured', sparsity: 0.5, scope: 'layer' } });
  const studentPath = path.join(dir, 'pruned.onnx');
  saveModel(pruned.model, studentPath);
  const zerosBefore = new Map(findPrunableLayers(pruned.model).map((l) => [l.name, pruned.masks.get(l.name)!]));
  const weights = (file: string) => readLayerWeights(loadModel(file), findPrunableLayers(loadModel(file)));
  const kd = { terms: [{ key: 'kd', kwargs: { divergence: 'forward-kl', temperature: 1 } }] };
  for (const [name, extra] of [['token-level', {}], ['on-policy', { onPolicy: { every: 2, poolSize: 4, promptLength: 3 } }]] as const) {
    const ctx = textContext({ models: { ...teacher(), student: modelInput(studentPath) }, seed: 6 });
    await distillStage.run(ctx, distillStage.kwargs.parse({ ...quick, ...kd, ...extra, keepSparsity: true }));
    assert.ok(ctx.lines.some((l) => /keeping \d+ zero weights of the student/.test(l)), `${name}: ${ctx.lines.join('\n')}`);
    assert.equal(training<LanguageDistillMetrics>(ctx.dir).config.keepSparsity, true);
    const after = weights(path.join(ctx.dir, 'model.onnx'));
    const before = weights(studentPath);
    let moved = 0;
    for (const [layer, mask] of zerosBefore) {
      const w = after.get(layer)!;
      mask.forEach((m, i) => { if (m === 0) assert.equal(w[i], 0, `${name}: ${layer}[${i}] was pruned`); else if (w[i] !== before.get(layer)![i]) moved++; });
    }
    assert.ok(moved > 0, `${name}: the kept weights trained`);
  }
  const free = textContext({ models: { ...teacher(), student: modelInput(studentPath) }, seed: 6 });
  await distillStage.run(free, distillStage.kwargs.parse({ ...quick, ...kd }));
  const filled = [...zerosBefore].reduce((n, [layer, mask]) => n + mask.filter((m, i) => m === 0 && weights(path.join(free.dir, 'model.onnx')).get(layer)![i] !== 0).length, 0);
  assert.ok(filled > 0, 'without keepSparsity training moves the pruned weights');
});
