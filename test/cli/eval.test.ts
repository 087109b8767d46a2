/**
 * `retort eval` end to end on a small model with seeded random weights and the first 200 MNIST test
 * images: exit codes, the --json shape, accuracy and loss against the trainer's own evaluator (a
 * separate implementation), FGSM at epsilon 0 leaving accuracy unchanged, and --html.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMnist } from '../../src/data/mnist.js';
import { sliceDataset } from '../../src/data/dataset.js';
import { Session } from '../../src/runtime/session.js';
import { evaluateClassifier } from '../../src/train/evaluate.js';
import type { ComparisonReport } from '../../src/report/types.js';
import { saveThreeModels } from '../report/models.js';

const cli = path.resolve('dist/src/cli/main.js');
const quick = ['--data', 'mnist', '--limit', '200', '--bootstrap', '20', '--latency-runs', '3', '--warmup', '1', '--threads', '1'];

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('retort eval', () => {
  let dir: string;
  let model: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-eval-'));
    model = saveThreeModels(dir)[0]!; // mlp:16
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: one model entry with metrics, intervals, cost and per-layer numbers', async () => {
    const r = retort('eval', model, ...quick, '--json');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ComparisonReport;
    assert.equal(report.models.length, 1);
    assert.deepEqual(report.data, { name: 'mnist', split: 'test', samples: 200 });
    const m = report.models[0]!;
    assert.equal(m.name, 'mlp-16');
    // 784-16-10 MLP: weights and biases.
    assert.equal(m.parameters, 784 * 16 + 16 + 16 * 10 + 10);
    assert.deepEqual(m.perLayer.map((l) => [l.weights, l.bits, l.macs]), [[784 * 16, 32, 784 * 16], [16 * 10, 32, 16 * 10]]);
    assert.equal(m.macs.total, 784 * 16 + 16 * 10);
    assert.equal(m.metrics.reliability.length, 15);
    assert.equal(m.metrics.perClass.length, 10);
    assert.equal(m.metrics.perClass.reduce((s, c) => s + c.support, 0), 200);
    const interval = m.metrics.accuracy.interval!;
    assert.equal(interval.resamples, 20);
    assert.ok(interval.lower <= m.metrics.accuracy.value && m.metrics.accuracy.value <= interval.upper);
    assert.deepEqual([m.latency.batch, m.latency.threads, m.latency.runs, m.latency.warmup], [1, 1, 3, 1]);

    // The trainer's evaluator, on the same 200 images, agrees on accuracy and mean NLL.
    const session = await Session.create(readFileSync(model));
    const reference = await evaluateClassifier(session, sliceDataset(loadMnist({ split: 'test', layout: 'flat' }), 0, 200), 64);
    await session.dispose();
    assert.equal(m.metrics.accuracy.value, reference.accuracy);
    assert.ok(Math.abs(m.metrics.nll.value - reference.loss) < 1e-5, `${m.metrics.nll.value} vs ${reference.loss}`);
  });

  it('FGSM at epsilon 0 leaves accuracy as it is; the table names the attack', () => {
    const r = retort('eval', model, ...quick, '--bootstrap', '0', '--attack', 'fgsm', '--epsilon', '0', '--json');
    assert.equal(r.status, 0, r.stderr);
    const m = (JSON.parse(r.stdout) as ComparisonReport).models[0]!;
    assert.equal(m.robustness!.description, 'FGSM eps=0');
    assert.equal(m.robustness!.accuracy.value, m.metrics.accuracy.value);
    assert.equal(m.metrics.accuracy.interval, undefined);
  });

  it('prints tables and writes --html', () => {
    const html = path.join(dir, 'out', 'eval.html');
    const r = retort('eval', model, ...quick, '--html', html);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^model\s+parameters/);
    assert.match(r.stdout, /per layer/);
    assert.ok(existsSync(html));
    assert.match(readFileSync(html, 'utf8'), /^<!doctype html>/);
  });

  it('exit 2 for a wrong command line, 1 for a missing model', () => {
    for (const args of [['--bootstrap', '1'], ['--attack', 'cw'], ['--data', 'cifar'], ['--limit', '20000'], ['--confidence', '1']]) {
      const r = retort('eval', model, ...quick, ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.equal(retort('eval', model).status, 2, 'no --data');
    const missing = retort('eval', path.join(dir, 'nope.onnx'), ...quick);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope\.onnx/);
  });
});
