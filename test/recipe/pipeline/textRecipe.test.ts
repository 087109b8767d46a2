/**
 * Recipes on text: a `key: text` data entry (path relative to the recipe file) validated with every
 * problem at its path and hashed with its file's bytes, and recipes/gpt-shakespeare-distill.yaml run reduced as the examples
 * convention says (recipes/README.md) — a GPT teacher, a distilled student, its 4-bit weight-only
 * form and an eval — ending with the language-model comparison (validation loss and perplexity of
 * every model) in place of the classification report; a second run reuses every stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from '../../../src/onnx/model.js';
import { loadRecipe, parseOverrides, runRecipe, stageHashes, validateRecipe } from '../../../src/recipe/pipeline/index.js';
import type { LanguageModelReport } from '../../../src/report/index.js';
import { isRetortError } from '../../../src/util/errors.js';

const EXAMPLE = path.resolve('recipes/gpt-shakespeare-distill.yaml');
const REDUCED = ['limitTrain=256', 'limitTest=200', 'teacherEpochs=2', 'studentEpochs=2'];

test('a text data entry: defaults filled in; a missing file, unknown kwargs and an unknown key are reported with their paths', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-text-recipe-'));
  writeFileSync(path.join(dir, 'input.txt'), 'To be, or not to be, that is the question.\n'.repeat(20));
  const stages = [{ name: 'teacher', key: 'train', inputs: { data: 'words' }, kwargs: { arch: 'gpt:layers=1,dim=16,heads=2,context=16', epochs: 1 } }];
  const recipe = validateRecipe({ name: 'text', data: { words: { key: 'text', kwargs: { path: 'input.txt' } } }, stages }, { source: 'r.yaml', baseDir: dir });
  assert.deepEqual(recipe.data.words, { key: 'text', kwargs: { path: 'input.txt', tokenizer: 'char', validationFraction: 0.1, limitTrain: null, limitValidation: null } });
  // The text's bytes are part of the stage hash: an edited file reruns what reads it.
  const before = stageHashes(recipe).get('teacher');
  assert.equal(stageHashes(recipe).get('teacher'), before);
  writeFileSync(path.join(dir, 'input.txt'), 'To be, or not to be, that is the question!\n'.repeat(20));
  assert.notEqual(stageHashes(recipe).get('teacher'), before);
  const bad = { name: 'text', data: { words: { key: 'text', kwargs: { path: 'missing.txt', limitChars: 10, tokenizer: 'bpe' } }, other: { key: 'txt' } }, stages };
  try {
    validateRecipe(bad, { source: 'r.yaml', baseDir: dir });
    assert.fail('accepted');
  } catch (error) {
    assert.ok(isRetortError(error), String(error));
    const message = error.message;
    assert.match(message, /data\.words\.kwargs\.tokenizer: expected one of: "char", "byte", got "bpe"/);
    assert.match(message, /data\.words\.kwargs: unknown key "limitChars" \(valid: path, tokenizer, validationFraction, limitTrain, limitValidation\)/);
    assert.match(message, /data\.other\.key: unknown key "txt"; expected one of: text, mnist/);
    assert.doesNotMatch(message, /missing\.txt/, 'an entry that fails its schema is not looked up');
  }
  const missing = { name: 'text', data: { words: { key: 'text', kwargs: { path: 'missing.txt' } } }, stages };
  assert.throws(() => validateRecipe(missing, { source: 'r.yaml', baseDir: dir }), new RegExp(`data\\.words\\.kwargs\\.path: no text file at ${path.join(dir, 'missing.txt').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(a path relative to the recipe file\\)`));
});

test('recipes/gpt-shakespeare-distill.yaml reduced: teacher, distilled student, 4-bit student, eval; the comparison scores each on validation loss', async () => {
  const recipe = loadRecipe(EXAMPLE, { overrides: parseOverrides(REDUCED) });
  const out = mkdtempSync(path.join(os.tmpdir(), 'retort-gpt-recipe-'));
  const lines: string[] = [];
  try {
    const result = await runRecipe(recipe, { out, threads: 1, log: (line) => lines.push(line) });
    const log = `\n${lines.slice(-20).join('\n')}`;
    assert.deepEqual(result.manifest.stages.map((s) => [s.name, s.status]), [['teacher', 'complete'], ['student', 'complete'], ['q4', 'complete'], ['eval', 'complete']], log);
    assert.ok(lines.some((l) => /comparison of 3 language models .* the classification report does not apply to text/.test(l)), log);
    assert.equal(result.comparison, null);
    const report = result.languageModels as LanguageModelReport;
    assert.deepEqual(report.models.map((m) => m.name), ['teacher', 'student', 'q4']);
    assert.deepEqual([report.teacher, report.data.name, report.data.context, report.data.tokens], ['teacher', 'shakespeare', 128, 128]);
    const [teacher, student, q4] = report.models as [LanguageModelReport['models'][number], LanguageModelReport['models'][number], LanguageModelReport['models'][number]];
    assert.ok(student.parameters < teacher.parameters / 4, `student ${student.parameters} of the teacher's ${teacher.parameters} parameters`);
    assert.equal(student.lossVsTeacher, student.validation.loss - teacher.validation.loss);
    // The stages' own numbers are the comparison's: the same validation windows.
    const metrics = Object.fromEntries(result.manifest.stages.map((s) => [s.name, s.metrics]));
    assert.equal(metrics.teacher!.validationLoss, teacher.validation.loss);
    assert.equal(metrics.student!.validationLoss, student.validation.loss);
    assert.equal(metrics.eval!.validationLoss, q4.validation.loss);
    assert.equal(metrics.student!.teacherValidationLoss, teacher.validation.loss);
    // 4-bit weight-only: MatMulNBits nodes, a file under a third of the float student's, the loss close to it.
    const quantized = loadModel(path.join(out, result.manifest.stages[2]!.artifacts.model!));
    assert.ok(quantized.graph!.node.filter((n) => n.opType === 'MatMulNBits').length >= 8);
    assert.ok(q4.fileBytes < student.fileBytes / 3, `${q4.fileBytes} vs ${student.fileBytes} bytes`);
    assert.ok(Math.abs(q4.validation.loss - student.validation.loss) < 0.05);
    const record = result.manifest.comparison!;
    assert.deepEqual([record.data, record.teacher, record.models], ['shakespeare', 'teacher', ['teacher', 'student', 'q4']]);
    for (const file of [record.json, record.html, record.table!]) assert.ok(existsSync(path.join(out, file)), file);
    assert.match(readFileSync(path.join(out, record.table!), 'utf8'), /model\s+parameters\s+bytes\s+val loss\s+perplexity/);
    // What each model writes, judged by the teacher: its own samples agree with themselves.
    assert.deepEqual(report.judging, { tokens: 8192, promptLength: 32, temperature: 1, seed: recipe.seed });
    for (const m of report.models) assert.ok(m.judged && Number.isFinite(m.judged.teacherLoss) && m.judged.distinct4 > 0, `${m.name}: ${JSON.stringify(m.judged)}`);
    assert.equal(teacher.judged!.teacherLoss, teacher.judged!.ownLoss);
    assert.notEqual(student.judged!.teacherLoss, student.judged!.ownLoss);
    assert.ok(lines.some((l) => /judged by teacher: student's samples \d+\.\d{4} nats\/token/.test(l)), log);
    assert.match(readFileSync(path.join(out, record.table!), 'utf8'), /teacher's loss on its samples/);

    const again = await runRecipe(recipe, { out, threads: 1, log: () => {} });
    assert.ok(again.manifest.stages.every((s) => s.skipped), 'a second run reuses every stage');
    assert.deepEqual(again.languageModels!.models.map((m) => [m.validation, m.judged]), report.models.map((m) => [m.validation, m.judged]), 'seeded: the same samples and scores');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
