/** `retort distill --teacher-outputs / --teacher-command`: the built CLI spawned as a user runs it, on 600 MNIST images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cli = path.resolve('dist/src/cli/main.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-blackbox-cli-'));
const common = ['--student-arch', 'mlp:16', '--data', 'mnist', '--limit-train', '600', '--validation', '0', '--epochs', '1', '--batch-size', '50', '--threads', '1'];

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, 'distill', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--teacher-command runs a program (argv, no shell) whose top-1 answers train the student', () => {
  const script = path.join(dir, 'teacher with space.mjs');
  // A fake teacher: the class is the sum of the pixels, mod 10, at probability 0.7.
  writeFileSync(script, `
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  const { input } = JSON.parse(line);
  console.log(JSON.stringify({ topk: [[Math.floor(input.reduce((a, c) => a + c, 0)) % 10, 0.7]] }));
}
`);
  const out = path.join(dir, 'command');
  const r = retort('--teacher-command', `"${process.execPath}"`, '--teacher-arg', script, ...common, '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { steps: number; config: { teacher: { kinds: { topk: number } } }; trainTeacherAgreement: number };
  assert.equal(metrics.steps, 12);
  assert.equal(metrics.config.teacher.kinds.topk, 600);
  assert.ok(metrics.trainTeacherAgreement >= 0 && metrics.trainTeacherAgreement <= 1);
  assert.ok(existsSync(path.join(out, 'student.onnx')));
  assert.deepEqual(JSON.parse(r.stdout), metrics);
  // The answers are kept: a second student trains from them without asking the teacher again, identically.
  const kept = path.join(out, 'teacher-outputs.jsonl');
  assert.equal(readFileSync(kept, 'utf8').trim().split('\n').length, 600);
  const again = path.join(dir, 'from-kept');
  const r2 = retort('--teacher-outputs', kept, ...common, '--out', again, '--json');
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(readFileSync(path.join(again, 'student.onnx')), readFileSync(path.join(out, 'student.onnx')));
  const lonely = retort('--teacher', 'x.onnx', '--teacher-timeout', '5', ...common, '--out', path.join(dir, 'x'));
  assert.equal(lonely.status, 2);
  assert.match(lonely.stderr, /--teacher-timeout limits --teacher-command/);
});

test('--teacher-outputs errors name the line; --temperature and two teachers are refused', () => {
  const file = path.join(dir, 'outputs.jsonl');
  writeFileSync(file, '{"label": 1}\n'.repeat(4) + '{"label": 12}\n' + '{"topk": [[2, 0.5]]}\n'.repeat(595));
  const r = retort('--teacher-outputs', file, ...common, '--out', path.join(dir, 'file'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /line 5: "label" 12 is not a class id in 0..9/);
  const short = path.join(dir, 'short.jsonl');
  writeFileSync(short, '{"label": 1}\n');
  assert.match(retort('--teacher-outputs', short, ...common, '--out', path.join(dir, 'file')).stderr, /1 lines, expected 600/);
  const t = retort('--teacher-outputs', file, ...common, '--out', path.join(dir, 'file'), '--temperature', '4');
  assert.equal(t.status, 2);
  assert.match(t.stderr, /--temperature does not apply to a black-box teacher/);
  const both = retort('--teacher-outputs', file, '--teacher', 'x.onnx', ...common, '--out', path.join(dir, 'file'));
  assert.equal(both.status, 2);
  assert.match(both.stderr, /Give exactly one teacher: .*got --teacher, --teacher-outputs/);
});
