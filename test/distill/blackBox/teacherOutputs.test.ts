/** Black-box teacher outputs: JSONL parsing with every error naming its line, top-k → full distribution, command-line splitting. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTeacherOutputs, readTeacherOutputs } from '../../../src/distill/blackBox/teacherOutputs.js';
import { softTargets, targetDistribution, targetLogProbabilities } from '../../../src/distill/blackBox/softTargets.js';
import { splitCommandLine } from '../../../src/distill/blackBox/teacherCommand.js';
import { outputsFromLogits } from '../../../src/distill/blackBox/simulate.js';
import { RetortError } from '../../../src/util/errors.js';

const options = { samples: 2, classes: 4, source: 'outputs.jsonl' };

function parseError(text: string, samples = 2): RetortError {
  try {
    parseTeacherOutputs(text, { ...options, samples });
  } catch (error) {
    assert.ok(error instanceof RetortError);
    assert.equal(error.code, 'DATA_INVALID');
    assert.match(error.message, /outputs\.jsonl/);
    return error;
  }
  assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('labels and top-k lines parse, with or without a final newline', () => {
  const text = '{"label": 3}\n{"topk": [[1, 0.7], [0, 0.2]]}';
  const expected = [{ kind: 'label', label: 3 }, { kind: 'topk', topk: [[1, 0.7], [0, 0.2]] }];
  assert.deepEqual(parseTeacherOutputs(text, options), expected);
  assert.deepEqual(parseTeacherOutputs(text + '\n', options), expected);
  assert.deepEqual(parseTeacherOutputs(text.replace('\n', '\r\n'), options), expected);
});

test('every bad line is named, all at once', () => {
  const error = parseError('{"label": 1}\nnot json\n{"label": 1.5}', 3);
  assert.match(error.message, /line 2: not valid JSON/);
  assert.match(error.message, /line 3: "label" 1.5 is not a class id in 0..3/);
  assert.doesNotMatch(error.message, /line 1:/);
});

test('a wrong number of lines says how many were expected', () => {
  assert.match(parseError('{"label": 1}\n').message, /1 lines, expected 2 \(one per training sample, in dataset order\)/);
  assert.match(parseError('{"label": 1}\n{"label": 1}\n{"label": 1}\n').message, /3 lines, expected 2/);
});

test('classes out of range, probabilities above 1 or summing above 1, duplicates and odd shapes are refused', () => {
  const cases: [string, RegExp][] = [
    ['{"label": 4}', /line 1: "label" 4 is not a class id in 0..3/],
    ['{"label": -1}', /line 1: "label" -1 is not a class id/],
    ['{"topk": [[7, 0.5]]}', /line 1: "topk"\[0\]: class 7 is not a class id in 0..3/],
    ['{"topk": [[1, 1.5]]}', /line 1: "topk"\[0\]: probability 1.5 of class 1 must be a number in \[0, 1\]/],
    ['{"topk": [[1, -0.1]]}', /probability -0.1 of class 1/],
    ['{"topk": [[1, 0.8], [2, 0.7]]}', /line 1: "topk" probabilities sum to 1.50000, more than 1/],
    ['{"topk": [[1, 0.5], [1, 0.2]]}', /class 1 is listed twice/],
    ['{"topk": []}', /non-empty array/],
    ['{"topk": [[1]]}', /"topk"\[0\] must be a \[class, probability\] pair/],
    ['{"label": 1, "topk": [[1, 0.5]]}', /exactly one key/],
    ['{"logits": [1, 2]}', /exactly one key, "label" or "topk"; got "logits"/],
    ['[1, 2]', /expected a JSON object/],
    ['', /line 1: empty line/],
  ];
  for (const [line, pattern] of cases) assert.match(parseError(`${line}\n{"label": 0}\n`).message, pattern, line);
});

test('a long run of bad lines lists the first ten and counts the rest', () => {
  const error = parseError('x\n'.repeat(25), 25);
  assert.match(error.message, /line 10: not valid JSON; and 15 more bad lines/);
  assert.doesNotMatch(error.message, /line 11:/);
});

test('a missing file is FILE_NOT_FOUND naming the path', () => {
  const missing = path.join(tmpdir(), 'no-such-teacher-outputs.jsonl');
  assert.throws(() => readTeacherOutputs(missing, { samples: 1, classes: 2 }), (e: RetortError) => e.code === 'FILE_NOT_FOUND' && e.message.includes(missing));
  const dir = mkdtempSync(path.join(tmpdir(), 'retort-bb-'));
  writeFileSync(path.join(dir, 'o.jsonl'), '{"label": 1}\n');
  assert.deepEqual(readTeacherOutputs(path.join(dir, 'o.jsonl'), { samples: 1, classes: 2 }), [{ kind: 'label', label: 1 }]);
});

test('top-k → the listed probabilities plus the rest spread uniformly over the other classes (by hand)', () => {
  // 5 classes, top-2 = 0.6 + 0.2; the other three share 0.2: 0.2/3 each.
  const row = targetDistribution({ kind: 'topk', topk: [[3, 0.6], [0, 0.2]] }, 5);
  const third = 0.2 / 3;
  const expected = [0.2, third, third, 0.6, third];
  row.forEach((p, c) => assert.ok(Math.abs(p - expected[c]!) < 1e-7, `class ${c}: ${p} vs ${expected[c]}`));
  // All mass listed: unlisted classes get 0; listed ones are renormalised (0.5/0.5 stays).
  assert.deepEqual(Array.from(targetDistribution({ kind: 'topk', topk: [[1, 0.5], [2, 0.5]] }, 4)), [0, 0.5, 0.5, 0]);
  // k = classes with a rounding shortfall: renormalised to sum to 1.
  const full = targetDistribution({ kind: 'topk', topk: [[0, 0.5], [1, 0.3]] }, 2);
  assert.ok(Math.abs(full[0]! - 0.625) < 1e-7 && Math.abs(full[1]! - 0.375) < 1e-7);
  // A label is one-hot.
  assert.deepEqual(Array.from(targetDistribution({ kind: 'label', label: 2 }, 3)), [0, 0, 1]);
});

test('soft targets are rows of distributions; their floored logs are finite and softmax back to them', () => {
  const outputs = outputsFromLogits(Float32Array.from([2, 1, 0, -1, 0, 0, 5, 0]), 4, 2);
  assert.equal(outputs[1]!.kind, 'topk');
  const targets = softTargets(outputs, 4);
  for (let i = 0; i < 2; i++) {
    const row = targets.subarray(i * 4, i * 4 + 4);
    assert.ok(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-6);
  }
  const logs = targetLogProbabilities(softTargets([{ kind: 'label', label: 1 }], 3));
  assert.ok(logs.every(Number.isFinite));
  const exps = Array.from(logs, Math.exp);
  const total = exps.reduce((a, c) => a + c, 0);
  assert.deepEqual(exps.map((e) => Math.round((e / total) * 1e6) / 1e6), [0, 1, 0]);
  assert.deepEqual(outputsFromLogits(Float32Array.from([0, 3, 1]), 3, 0), [{ kind: 'label', label: 1 }]);
});

test('command lines split on whitespace, with quotes and no shell expansion', () => {
  assert.deepEqual(splitCommandLine('python3 teacher.py --top-k 3'), ['python3', 'teacher.py', '--top-k', '3']);
  assert.deepEqual(splitCommandLine(`  node "my teacher.js"  'a b' x"y z"w ""`), ['node', 'my teacher.js', 'a b', 'xy zw', '']);
  assert.deepEqual(splitCommandLine('echo $HOME * | rm'), ['echo', '$HOME', '*', '|', 'rm']);
  assert.deepEqual(splitCommandLine(String.raw`a "q\"uote\\" 'back\slash'`), ['a', 'q"uote\\', 'back\\slash']);
  assert.throws(() => splitCommandLine('node "unclosed'), /unclosed " quote/);
  assert.throws(() => splitCommandLine('   '), /Teacher command is empty/);
});
