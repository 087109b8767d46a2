/**
 * `retort compare --data text:PATH`: two GPTs (seeded random weights, the char vocabulary of the
 * file) scored on the same validation tokens, with the teacher's judgement of their samples, as
 * --json, the table and report.html; the text-only flags refused with classification data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withContextMetadata } from '../../src/data/text/forLanguageModel.js';
import { buildGpt } from '../../src/models/gpt.js';
import { saveModel } from '../../src/onnx/model.js';
import type { LanguageModelReport } from '../../src/report/languageModels.js';

const cli = path.resolve('dist/src/cli/main.js');
const retort = (...args: string[]) => spawnSync(process.execPath, [cli, 'compare', ...args], { encoding: 'utf8', timeout: 120_000 });

test('retort compare --data text: language models on the same validation tokens, samples judged by the teacher', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-compare-text-'));
  try {
    const text = path.join(dir, 'shakespeare.txt');
    writeFileSync(text, readFileSync(path.resolve('../shared/data/tinyshakespeare.txt'), 'utf8').slice(0, 20_000));
    const vocab = new Set(readFileSync(text, 'utf8')).size;
    const save = (name: string, layers: number, seed: number) => {
      const file = path.join(dir, `${name}.onnx`);
      saveModel(withContextMetadata(buildGpt({ layers, dim: 32, heads: 2, context: 16, vocabSize: vocab, seed }), 16), file);
      return file;
    };
    const teacher = save('teacher', 2, 1);
    const student = save('student', 1, 2);
    const args = [student, '--teacher', teacher, '--data', `text:${text}`, '--judge-tokens', '300', '--threads', '1', '--out', dir];
    const json = retort(...args, '--json');
    assert.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout) as LanguageModelReport;
    assert.deepEqual(report.models.map((m) => m.name), ['teacher', 'student']);
    assert.deepEqual([report.teacher, report.data.name, report.data.context, report.judging?.tokens], ['teacher', 'shakespeare.txt', 16, 300]);
    const [t, s] = report.models as [LanguageModelReport['models'][number], LanguageModelReport['models'][number]];
    // 2,000 validation characters (the last tenth) in windows of 16 + 1.
    assert.equal(report.data.tokens, Math.floor((2000 - 1) / 16) * 16);
    assert.equal(s.lossVsTeacher, s.validation.loss - t.validation.loss);
    assert.equal(t.judged!.teacherLoss, t.judged!.ownLoss, "the teacher's own samples");
    assert.ok(s.judged!.sampledTokens >= 300 && Number.isFinite(s.judged!.teacherLoss));
    assert.ok(existsSync(path.join(dir, 'report.html')));
    const table = retort(...args, '--judge-tokens', '0', '--no-html', '--limit', '500');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^model\s+parameters\s+bytes\s+val loss/);
    assert.doesNotMatch(table.stdout, /teacher's loss on its samples/, '--judge-tokens 0: no judging');
    assert.match(table.stdout, /validation split: 496 tokens in windows of 16/);
    const noTeacher = retort(student, '--data', `text:${text}`, '--judge-tokens', '10');
    assert.equal(noTeacher.status, 2);
    assert.match(noTeacher.stderr, /--judge-tokens: the samples are judged by the teacher; give --teacher/);
    const onMnist = retort(student, '--data', 'mnist', '--judge-tokens', '10');
    assert.equal(onMnist.status, 2);
    assert.match(onMnist.stderr, /apply to text data/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
