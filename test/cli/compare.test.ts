/**
 * `retort compare` end to end on three models (two MLPs and LeNet-5, seeded random weights; the two
 * input layouts), the first 200 MNIST test images: report.html in --out, --json shape, fidelity to
 * the teacher, and exit codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { uncertaintyFidelity } from '../../src/eval/bootstrap.js';
import type { ComparisonReport } from '../../src/report/types.js';
import { saveThreeModels } from '../report/models.js';

const cli = path.resolve('dist/src/cli/main.js');
const quick = ['--data', 'mnist', '--limit', '200', '--bootstrap', '20', '--latency-runs', '3', '--warmup', '1', '--threads', '1'];

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('retort compare', () => {
  let dir: string;
  let models: string[];
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-compare-'));
    models = saveThreeModels(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('three models: report.html in --out, --json with fidelity to the teacher', () => {
    const out = path.join(dir, 'report');
    const r = retort('compare', ...models, ...quick, '--names', 'small,medium,teacher', '--teacher', 'teacher', '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ComparisonReport;
    assert.deepEqual(report.models.map((m) => m.name), ['small', 'medium', 'teacher']);
    assert.equal(report.teacher, 'teacher');
    assert.equal(report.models[2]!.fidelity, undefined);
    for (const m of report.models.slice(0, 2)) {
      const f = m.fidelity!;
      assert.equal(f.teacher, 'teacher');
      assert.ok(f.agreement.value >= 0 && f.agreement.value <= 1 && f.kl.value >= 0, JSON.stringify(f));
      assert.ok(f.agreement.interval && f.kl.interval);
      // Paired bootstrap of model minus teacher with the report's resamples; UQ fidelity from the entries' own intervals.
      const teacher = report.models[2]!.metrics;
      const { accuracy, nll } = f.difference!;
      assert.equal(accuracy.estimate, m.metrics.accuracy.value - teacher.accuracy.value);
      assert.ok(Math.abs(nll.estimate - (m.metrics.nll.value - teacher.nll.value)) < 1e-12, JSON.stringify(nll));
      for (const d of [accuracy, nll]) {
        assert.ok(d.lower <= d.upper && d.resamples === 20 && d.confidence === 0.95, JSON.stringify(d));
        assert.ok(d.fractionAGreater + d.fractionBGreater <= 1, JSON.stringify(d));
      }
      for (const metric of ['accuracy', 'nll', 'ece'] as const) {
        assert.deepEqual(f.uncertainty![metric], uncertaintyFidelity(teacher[metric].interval!, m.metrics[metric].interval!), metric);
      }
    }
    for (const m of report.models) {
      const f = m.metrics.fairness;
      assert.equal(f.perClass.length, 10);
      assert.equal(f.perClass.reduce((s, c) => s + c.samples, 0), 200);
      assert.ok(f.worstClass.accuracy <= f.bestClass.accuracy && f.accuracyGap === f.bestClass.accuracy - f.worstClass.accuracy, JSON.stringify(f));
      assert.equal(m.bytes.huffman, undefined, 'float models with random weights have no Huffman size');
    }
    // LeNet-5 takes [1, 28, 28] images and counts its MACs for them.
    assert.deepEqual(Object.values(report.models[2]!.macs.inputShapes), [[1, 1, 28, 28]]);
    assert.deepEqual(report.models[2]!.perLayer.map((l) => l.opType), ['Conv', 'Conv', 'Gemm', 'Gemm']);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    for (const name of ['small', 'medium', 'teacher']) assert.ok(html.includes(name));
  });

  it('a teacher path not among the models is added first; --html FILE and the table', () => {
    const html = path.join(dir, 'chosen.html');
    const r = retort('compare', models[0]!, models[1]!, ...quick, '--bootstrap', '0', '--teacher', models[2]!, '--html', html);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^model\s+parameters\s+non-zero\s+size\s+gzip\s+huffman\s+MACs\s+.*ECE\s+worst class\s+acc gap\s+ECE gap\s+agreement\s+KL\n/);
    assert.match(r.stdout, /fidelity\s+against lenet5/);
    assert.ok(!r.stdout.includes('Δacc'), 'no paired differences without resamples');
    assert.ok(existsSync(html));
  });

  it('the table: accuracy minus the teacher\'s with its paired-bootstrap interval, explained under the table', () => {
    const r = retort('compare', ...models, ...quick, '--names', 'small,medium,teacher', '--teacher', 'teacher', '--no-html');
    assert.equal(r.status, 0, r.stderr);
    const [header, ...lines] = r.stdout.split('\n');
    assert.match(header!, /agreement\s+KL\s+Δacc vs teacher \[95% CI\]$/);
    const column = header!.indexOf('Δacc');
    const cell = (name: string): string => lines.find((l) => l.startsWith(name))!.slice(column).trim();
    for (const name of ['small', 'medium']) assert.match(cell(name), /^[+-]?\d+\.\d\d pp \[[+-]?\d+\.\d\d, [+-]?\d+\.\d\d\]$/, `${name}: ${cell(name)}`);
    assert.equal(cell('teacher'), '-');
    assert.match(r.stdout, /\nΔacc\s+accuracy of each model minus teacher \(pp\), paired bootstrap: both scored on the same resampled samples;/);
  });

  it('exit 2 for wrong --names or --teacher', () => {
    assert.equal(retort('compare', ...models, ...quick, '--names', 'a,b').status, 2);
    assert.equal(retort('compare', ...models, ...quick, '--names', 'a,a,b').status, 2);
    assert.equal(retort('compare', ...models, ...quick, '--names', 'a,b,c', '--teacher', 'd', '--no-html').status, 2);
  });
});
