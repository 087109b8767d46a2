/**
 * `retort quantize` end to end on the PyTorch fixture models (../shared/fixtures/torch) with small
 * MNIST subsets: every method writes a model ORT loads and a report with before/after fields, the
 * transformers.js preset writes its six variants and manifest.json, bad options exit 2 naming the
 * option, and the slower-than-float check (a pure function) flags exactly the slower batch sizes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { slowdowns, slowdownWarning } from '../../src/cli/quantizeReport.js';
import type { Latency } from '../../src/eval/cost/index.js';
import { Graph } from '../../src/onnx/graph.js';
import { saveModel } from '../../src/onnx/model.js';
import { newGraph, newModel } from '../../src/onnx/proto.js';
import { Session } from '../../src/runtime/session.js';
import { floatInfo } from '../quantize/helpers.js';

const cli = path.resolve('dist/src/cli/main.js');
const fixtures = path.resolve(process.cwd(), '../shared/fixtures/torch');
const quick = ['--latency-runs', '2', '--warmup', '1', '--latency-batches', '1,8', '--threads', '1'];

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Measurement { bytes: number; gzipBytes: number; accuracy: number | null; latency: Latency[] }
interface Report { method: string; before: Measurement; after: Measurement; testSamples: number; calibrationSamples: number; warning: string | null }

async function loads(file: string): Promise<void> {
  const session = await Session.create(readFileSync(file));
  assert.ok(session.outputNames.length > 0);
  await session.dispose();
}

describe('retort quantize', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-quantize-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string, string[]][] = [
    ['static', 'lenet5_bn', ['--calibration-data', 'mnist', '--calibration-size', '64', '--calibrator', 'percentile', '--percentile', '99.9']],
    ['dynamic', 'mlp', ['--per-tensor', '--asymmetric']],
    ['weight-only', 'mlp', ['--bits', '8', '--block-size', '64', '--gptq', '--calibration-data', 'mnist', '--calibration-size', '64']],
    ['fp16', 'lenet5_bn', []],
  ];
  for (const [method, fixture, extra] of cases) {
    it(`--method ${method} on ${fixture}: a loadable model and a before/after report`, async () => {
      const out = path.join(dir, `${fixture}-${method}.onnx`);
      const r = retort('quantize', path.join(fixtures, `${fixture}.onnx`), '--out', out, '--method', method, '--data', 'mnist', '--limit', '100', ...extra, ...quick, '--json');
      assert.equal(r.status, 0, r.stderr);
      await loads(out);
      const report = JSON.parse(r.stdout) as Report;
      assert.equal(report.method, method);
      assert.equal(report.testSamples, 100);
      for (const m of [report.before, report.after]) {
        assert.ok(m.bytes > 0 && m.gzipBytes > 0);
        assert.ok(m.accuracy !== null && m.accuracy >= 0 && m.accuracy <= 1);
        assert.deepEqual(m.latency.map((l) => [l.batch, l.runs, l.threads]), [[1, 2, 1], [8, 2, 1]]);
      }
      assert.equal(report.after.bytes, readFileSync(out).byteLength);
      assert.ok(report.after.bytes < report.before.bytes, `${method}: ${report.after.bytes} >= ${report.before.bytes}`);
      // The warning line is printed exactly when the report has one.
      assert.equal(r.stderr.includes('WARNING: the quantized model is slower'), report.warning !== null);
    });
  }

  it('--preset transformersjs: six variants (or skipped entries) and manifest.json', () => {
    const out = path.join(dir, 'tjs');
    const r = retort('quantize', '--preset', 'transformersjs', path.join(fixtures, 'lenet5_bn.onnx'), '--out', out, '--calibration-data', 'mnist', '--calibration-size', '32', '--threads', '1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { agreementBatch: string; variants: { dtype: string; file: string; status: string; bytes?: number; agreement?: { cosineSimilarity: number; topOneAgreement: number } }[] };
    assert.deepEqual(manifest.variants.map((v) => v.file), ['model_fp16.onnx', 'model_quantized.onnx', 'model_int8.onnx', 'model_uint8.onnx', 'model_q4.onnx', 'model_q4f16.onnx']);
    assert.match(manifest.agreementBatch, /^32 samples/);
    for (const v of manifest.variants) {
      assert.equal(v.status, 'written', v.dtype);
      assert.equal(readFileSync(path.join(out, v.file)).byteLength, v.bytes);
      assert.ok(v.agreement!.cosineSimilarity > 0.9 && v.agreement!.cosineSimilarity <= 1 + 1e-6, `${v.dtype}: ${v.agreement!.cosineSimilarity}`);
      assert.ok(v.agreement!.topOneAgreement >= 0 && v.agreement!.topOneAgreement <= 1);
    }
    // The uint8 variant stores uint8 Conv weights (ConvInteger), as onnxruntime-web needs.
    assert.ok(readFileSync(path.join(out, 'model_uint8.onnx')).includes('ConvInteger'));
  });

  it('--preset transformersjs on a model without weights: quantized variants skipped with the reason', () => {
    // y = Relu(x): nothing for the dynamic or MatMulNBits quantizers; fp16 still applies.
    const graph = new Graph(newGraph({ name: 'relu', input: [floatInfo('x', ['batch', 4])], output: [floatInfo('y', ['batch', 4])] }));
    graph.addNode({ opType: 'Relu', inputs: ['x'], outputs: ['y'], name: 'relu' });
    const model = path.join(dir, 'relu.onnx');
    saveModel(newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: graph.proto }), model);
    const out = path.join(dir, 'tjs-relu');
    const r = retort('quantize', '--preset', 'transformersjs', model, '--out', out, '--threads', '1', '--json');
    assert.equal(r.status, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { variants: { dtype: string; file: string; status: string; reason?: string }[] };
    assert.deepEqual(manifest.variants.map((v) => [v.dtype, v.status]), [['fp16', 'written'], ['q8', 'skipped'], ['int8', 'skipped'], ['uint8', 'skipped'], ['q4', 'skipped'], ['q4f16', 'skipped']]);
    assert.match(manifest.variants[1]!.reason!, /no MatMul, Gemm or Conv/);
    assert.match(manifest.variants[4]!.reason!, /no MatMul or Gemm/);
    assert.ok(existsSync(path.join(out, 'model_fp16.onnx')));
    assert.equal(existsSync(path.join(out, 'model_q4.onnx')), false);
  });

  const badCases: [string[], RegExp][] = [
    [['--method', 'int3'], /Unknown quantization method "int3". Should be one of: static, dynamic, weight-only, fp16/],
    [['--method', 'weight-only', '--bits', '3'], /--bits 3 is out of range.*Should be one of: 4, 8/],
    [['--method', 'weight-only', '--block-size', '48'], /--block-size 48 is not supported. Should be one of: 32, 64, 128/],
    [['--method', 'static'], /--method static needs calibration data: give --calibration-data/],
    [['--method', 'dynamic', '--bits', '4'], /--bits applies to --method weight-only, not dynamic/],
    [['--method', 'static', '--calibration-data', 'mnist', '--calibrator', 'kl'], /--calibrator "kl": should be one of: minmax, percentile, entropy, mse/],
    [['--method', 'dynamic', '--latency-batches', '1,x'], /--latency-batches "x"/],
    [['--preset', 'optimum'], /--preset "optimum": should be one of: transformersjs/],
    [[], /--method is required/],
  ];
  for (const [args, message] of badCases) {
    it(`exit 2: ${args.join(' ') || '(no --method)'}`, () => {
      const out = path.join(dir, 'bad.onnx');
      const r = retort('quantize', path.join(fixtures, 'mlp.onnx'), '--out', out, ...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(existsSync(out), false);
    });
  }
});

describe('slowdowns (the slower-than-float check)', () => {
  const latency = (batch: number, p50Ms: number, provider = 'cpu'): Latency => ({ p50Ms, p95Ms: p50Ms, meanMs: p50Ms, throughput: 0, batch, threads: 1, runs: 1, warmup: 0, provider });

  it('flags exactly the batch sizes where the quantized p50 is above the float p50', () => {
    const s = slowdowns([latency(1, 1.0), latency(64, 10)], [latency(1, 1.5), latency(64, 4)]);
    assert.deepEqual(s, [{ batch: 1, provider: 'cpu', floatMs: 1.0, quantizedMs: 1.5, ratio: 1.5 }]);
    assert.equal(slowdownWarning(s), 'WARNING: the quantized model is slower than the float model on cpu (p50 batch 1: 1.500 ms vs 1.000 ms float (1.50x))');
  });

  it('no warning when faster or equal, and no comparison across providers or batch sizes', () => {
    assert.deepEqual(slowdowns([latency(1, 2)], [latency(1, 2)]), []);
    assert.deepEqual(slowdowns([latency(1, 1, 'cpu')], [latency(1, 5, 'webgpu')]), []);
    assert.deepEqual(slowdowns([latency(1, 1)], [latency(8, 5)]), []);
    assert.equal(slowdownWarning([]), null);
  });
});
