/**
 * `retort eval` end to end on a small model with seeded random weights and the first 200 MNIST test
 * images: exit codes, the --json shape, accuracy and loss against the trainer's own evaluator (a
 * separate implementation), per-class fairness against the per-class scores, the Huffman size of an
 * int8 model, FGSM at epsilon 0 leaving accuracy unchanged, and --html.
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
import { loadModel, saveModel } from '../../src/onnx/model.js';
import { quantizeDynamic } from '../../src/quantize/dynamic.js';
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
    // Seeded random float weights: no Huffman size.
    assert.deepEqual(Object.keys(m.bytes).sort(), ['gzip', 'raw']);

    // Fairness: per true class, agreeing with the per-class scores (recall is the class's accuracy).
    const f = m.metrics.fairness;
    assert.deepEqual(f.perClass.map((c) => [c.class, c.samples]), m.metrics.perClass.map((c) => [c.class, c.support]));
    const recalls = m.metrics.perClass.filter((c) => c.support > 0).map((c) => c.recall!);
    assert.deepEqual(f.perClass.filter((c) => c.samples > 0).map((c) => c.accuracy), recalls);
    assert.equal(f.worstClass.accuracy, Math.min(...recalls));
    assert.equal(f.worstClass.accuracy, f.perClass[f.worstClass.class]!.accuracy);
    assert.ok(Math.abs(f.accuracyGap - (Math.max(...recalls) - Math.min(...recalls))) < 1e-12);
    const eces = f.perClass.filter((c) => c.samples > 0).map((c) => c.ece!);
    assert.ok(eces.every((e) => e >= 0 && e <= 1) && Math.abs(f.eceGap - (Math.max(...eces) - Math.min(...eces))) < 1e-12, JSON.stringify(eces));

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
    assert.match(r.stdout, /^model\s+parameters\s+non-zero\s+size\s+gzip\s+huffman\s+MACs\s+.*ECE\s+worst class\s+acc gap\s+ECE gap\n/);
    // A float model has no Huffman size: '-' right after the gzip size.
    assert.match(r.stdout.split('\n')[1]!, /^mlp-16\s+\S+\s+\S+\s+\S+ KiB\s+\S+ KiB\s+-\s/);
    assert.match(r.stdout, /fairness\s+per true class/);
    assert.match(r.stdout, /per class\n\s+class\s+support\s+precision\s+recall\s+F1\s+ECE\n/);
    assert.match(r.stdout, /per layer/);
    assert.ok(existsSync(html));
    assert.match(readFileSync(html, 'utf8'), /^<!doctype html>/);
  });

  it('an int8 model: a Huffman size in --json and in the table, with its definition', () => {
    const int8 = path.join(dir, 'mlp-16-int8.onnx');
    const float = loadModel(model);
    saveModel(quantizeDynamic(float, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } }).model, int8);
    const json = retort('eval', int8, ...quick, '--bootstrap', '0', '--json');
    assert.equal(json.status, 0, json.stderr);
    const bytes = (JSON.parse(json.stdout) as ComparisonReport).models[0]!.bytes;
    assert.ok(bytes.huffman !== undefined && bytes.huffman <= bytes.raw, JSON.stringify(bytes));
    const table = retort('eval', int8, ...quick, '--bootstrap', '0');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout.split('\n')[1]!, /^mlp-16-int8\s+\S+\s+\S+\s+\S+ KiB\s+\S+ KiB\s+\S+ KiB\s/);
    assert.match(table.stdout, /huffman\s+the file with each layer's weight values Huffman coded/);
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
