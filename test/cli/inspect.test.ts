/**
 * `retort inspect` end to end: the built CLI is spawned as a user would run it. Expected numbers are
 * pinned, derived without the code under test: parameter counts by hand from the layer shapes in
 * the fixtures' manifests and README, op histograms from a raw protobuf wire scan of the file, MACs
 * from the layer geometry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '../../src/onnx/model.js';
import type { InspectionSummary } from '../../src/eval/inspect.js';
import { fixturesDir } from '../helpers/fixtures.js';
import { buildConvModel, buildHandModel } from '../onnx/handBuiltModel.js';

const cli = path.resolve('dist/src/cli/main.js');

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // A timeout turns a hang into a failure instead of a stuck test run.
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function inspectJson(...args: string[]): InspectionSummary & { macsUnavailable?: string } {
  const r = retort('inspect', ...args, '--json');
  assert.equal(r.status, 0, `retort inspect ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as InspectionSummary;
}

// --- An independent reader: protobuf wire format, just enough to list the main graph's op types.

function varint(buf: Uint8Array, at: { pos: number }): number {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = buf[at.pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return value;
  }
}

/** Length-delimited fields of a message, as [field number, bytes]; other wire types skipped. */
function lenFields(buf: Uint8Array): [number, Uint8Array][] {
  const at = { pos: 0 };
  const out: [number, Uint8Array][] = [];
  while (at.pos < buf.length) {
    const key = varint(buf, at);
    const wire = key % 8;
    if (wire === 0) varint(buf, at);
    else if (wire === 1) at.pos += 8;
    else if (wire === 5) at.pos += 4;
    else if (wire === 2) {
      const length = varint(buf, at);
      out.push([Math.floor(key / 8), buf.subarray(at.pos, at.pos + length)]);
      at.pos += length;
    } else throw new Error(`wire type ${wire} at ${at.pos}`);
  }
  return out;
}

/** ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4. */
function scanOpHistogram(file: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const graph = lenFields(readFileSync(file)).find(([field]) => field === 7)![1];
  for (const [field, node] of lenFields(graph)) {
    if (field !== 1) continue;
    const opType = Buffer.from(lenFields(node).find(([f]) => f === 4)![1]).toString('utf8');
    counts[opType] = (counts[opType] ?? 0) + 1;
  }
  return counts;
}

const histogramOf = (s: InspectionSummary): Record<string, number> => Object.fromEntries(s.opHistogram.map((o) => [o.opType, o.count]));

// --- Pinned expectations.

const expected: Record<string, { parameters: number; histogram: Record<string, number> }> = {
  // Linear 784->64->32->10.
  mlp: { parameters: 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10, histogram: { Gemm: 3, Relu: 2 } },
  // Conv 1->6 5x5, Conv 6->16 5x5 (BatchNorm folded into both, biases kept), Linear 400->120->84->10.
  lenet5_bn: {
    parameters: 6 * 1 * 5 * 5 + 6 + 16 * 6 * 5 * 5 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10,
    histogram: { Constant: 4, Gemm: 3, Conv: 2, Mul: 2, Relu: 2, Add: 1, AveragePool: 1, Div: 1, Erf: 1, Flatten: 1, MaxPool: 1, Pad: 1, Tanh: 1 },
  },
  // stem 3->8 3x3; two 8->8 3x3; 8->16 3x3 and 16->16 3x3 with a 1x1 8->16 shortcut; depthwise 16 3x3; fc 16->10.
  tiny_resnet: {
    parameters: 8 * 3 * 9 + 8 + 2 * (8 * 8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 16 * 9 + 16) + (16 * 8 + 16) + (16 * 9 + 16) + (16 * 10 + 10),
    histogram: { Conv: 7, Relu: 5, Add: 2, Flatten: 1, Gemm: 1, GlobalAveragePool: 1, HardSigmoid: 1, Mul: 1 },
  },
  // pos 32x48, tok 65x48, one shared LayerNorm weight+bias (48+48, tied by the exporter), two blocks of
  // qkv 48->144, proj 48->48, fc 48->192, out 192->48 (with biases), head 48->65 without bias.
  // The bool causal mask (32x32) is not a parameter.
  gpt_tiny: {
    parameters: 32 * 48 + 65 * 48 + 48 + 48 + 2 * (48 * 144 + 144 + 48 * 48 + 48 + 48 * 192 + 192 + 192 * 48 + 48) + 48 * 65,
    histogram: {
      Constant: 72, Unsqueeze: 39, Add: 25, Transpose: 17, MatMul: 13, ReduceMean: 10, Div: 9, Mul: 9, Concat: 8, Identity: 8,
      Reshape: 8, Pow: 7, Gather: 5, Sqrt: 5, Sub: 5, Cast: 4, Shape: 4, Slice: 3, Erf: 2, Softmax: 2, Split: 2, Where: 2, Not: 1,
    },
  },
};

describe('retort inspect on the PyTorch fixtures', () => {
  it('pins the numbers computed by hand', () => {
    assert.deepEqual(
      Object.fromEntries(Object.entries(expected).map(([n, e]) => [n, e.parameters])),
      { mlp: 52650, lenet5_bn: 61706, tiny_resnet: 5354, gpt_tiny: 64032 },
    );
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: parameter count and op histogram`, () => {
      const file = path.join(fixturesDir, `${name}.onnx`);
      assert.deepEqual(scanOpHistogram(file), want.histogram, 'wire scan agrees with the pinned histogram');
      const summary = inspectJson(file);
      assert.equal(summary.parameters.count, want.parameters);
      assert.deepEqual(histogramOf(summary), want.histogram);
      const counts = summary.opHistogram.map((o) => o.count);
      assert.deepEqual(counts, [...counts].sort((a, b) => b - a), 'histogram sorted by count');
      assert.equal(summary.nodeCount, counts.reduce((a, b) => a + b, 0));
      assert.equal(summary.irVersion, 7);
      assert.deepEqual(summary.opsets, [{ domain: 'ai.onnx', version: 13 }]);
      assert.deepEqual(summary.producer, { name: 'pytorch', version: '1.13.0' });
    });
  }

  it('mlp: interface, bytes by dtype and MACs', () => {
    const s = inspectJson(path.join(fixturesDir, 'mlp.onnx'));
    assert.deepEqual(s.inputs, [{ name: 'input', dtype: 'float', dims: ['batch', 784] }]);
    assert.deepEqual(s.outputs, [{ name: 'logits', dtype: 'float', dims: ['batch', 10] }]);
    assert.deepEqual(s.storedTensors.byDtype, [{ dtype: 'float', tensors: 6, elements: 52650, bytes: 52650 * 4 }]);
    // Symbolic batch defaults to 1: one MAC per weight of the three Gemms.
    assert.deepEqual(s.macs, {
      inputShapes: { input: [1, 784] },
      total: 784 * 64 + 64 * 32 + 32 * 10,
      byOpType: [{ opType: 'Gemm', nodes: 3, macs: 784 * 64 + 64 * 32 + 32 * 10 }],
      uncounted: [],
    });
    assert.deepEqual(s.largestTensors[0], { name: 'l1.weight', storage: 'initializer', dtype: 'float', dims: [64, 784], bytes: 64 * 784 * 4 });
  });

  it('lenet5_bn: MACs follow the LeNet-5 geometry, int64 Constant bytes counted', () => {
    const s = inspectJson(path.join(fixturesDir, 'lenet5_bn.onnx'), '--input-shape', 'input=4x1x28x28');
    // conv1 pads to keep 28x28: 6 maps * 28*28 * 5*5; conv2 on 14x14 gives 10x10: 16 * 10*10 * 6*5*5.
    const conv = 4 * (6 * 28 * 28 * 25 + 16 * 10 * 10 * 150);
    const gemm = 4 * (400 * 120 + 120 * 84 + 84 * 10);
    assert.deepEqual(s.macs?.byOpType, [{ opType: 'Conv', nodes: 2, macs: conv }, { opType: 'Gemm', nodes: 3, macs: gemm }]);
    assert.equal(s.macs?.total, conv + gemm);
    // The Pad node's pads are an int64[8] Constant; three scalar float Constants (Gelu's sqrt2, 1, 0.5).
    assert.deepEqual(s.storedTensors.byDtype.find((d) => d.dtype === 'int64'), { dtype: 'int64', tensors: 1, elements: 8, bytes: 64 });
    assert.equal(s.storedTensors.byDtype.find((d) => d.dtype === 'float')?.elements, 61706 + 3);
  });

  it('gpt_tiny: int64 input, symbolic output dim kept, attention MACs for --input-shape', () => {
    const s = inspectJson(path.join(fixturesDir, 'gpt_tiny.onnx'), '--input-shape', 'input=2x32');
    assert.deepEqual(s.inputs, [{ name: 'input', dtype: 'int64', dims: ['batch', 32] }]);
    assert.deepEqual(s.outputs, [{ name: 'logits', dtype: 'float', dims: ['batch', 'MatMullogits_dim_1', 65] }]);
    const tokens = 2 * 32;
    // Per block: qkv, q@k^T (32 keys of width 48 over all heads), att@v, proj, fc, out.
    const block = tokens * 48 * 144 + tokens * 32 * 48 + tokens * 32 * 48 + tokens * 48 * 48 + tokens * 48 * 192 + tokens * 192 * 48;
    assert.deepEqual(s.macs?.byOpType, [{ opType: 'MatMul', nodes: 13, macs: 2 * block + tokens * 48 * 65 }]);
    assert.deepEqual(s.storedTensors.byDtype.find((d) => d.dtype === 'bool'), { dtype: 'bool', tensors: 1, elements: 1024, bytes: 1024 });
  });

  it('prints aligned tables by default', () => {
    const r = retort('inspect', path.join(fixturesDir, 'mlp.onnx'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^parameters +52,650 in 6 tensors/m);
    assert.match(r.stdout, /^ {2}Gemm +3$/m);
    assert.match(r.stdout, /^ {2}total +52,544$/m);
    assert.match(r.stdout, /^ {2}l1\.weight +initializer +float +\[64, 784\] +200,704$/m);
    assert.doesNotMatch(r.stdout, / +$/m, 'no trailing spaces');
  });
});

describe('retort inspect on hand-built models', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-inspect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts Constant-node weights, custom-domain ops and subgraph nodes', () => {
    const file = path.join(dir, 'hand.onnx');
    saveModel(buildHandModel(), file);
    const s = inspectJson(file, '--input-shape', 'x=5x3');
    assert.deepEqual(s.opsets, [{ domain: 'ai.onnx', version: 17 }, { domain: 'com.microsoft', version: 1 }]);
    assert.deepEqual(s.inputs, [{ name: 'x', dtype: 'float', dims: ['N', 3] }, { name: 'cond', dtype: 'bool', dims: [] }]);
    // Parameters: W (Constant, 3x4) + b (4); the else-branch s lives in a subgraph and is stored, not a parameter.
    assert.deepEqual(s.parameters, { tensors: 2, count: 12 + 4, bytes: 16 * 4 });
    assert.deepEqual(s.storedTensors.byDtype, [{ dtype: 'float', tensors: 3, elements: 20, bytes: 80 }]);
    assert.deepEqual(s.opHistogram.map((o) => [o.opType, o.count]), [
      ['Add', 1], ['Constant', 1], ['If', 1], ['MatMul', 1], ['Mul', 1], ['Relu', 1], ['com.microsoft:Gelu', 1],
    ]);
    assert.equal(s.nodeCount, 7);
    assert.deepEqual(s.macs?.byOpType, [{ opType: 'MatMul', nodes: 1, macs: 5 * 4 * 3 }]);
    assert.deepEqual(s.largestTensors.map((t) => [t.name, t.storage]), [['W', 'constant'], ['b', 'initializer'], ['s', 'initializer']]);
  });

  it('counts Conv (grouped, strided), ConvTranspose and Gemm MACs', () => {
    const file = path.join(dir, 'convs.onnx');
    saveModel(buildConvModel(), file);
    const s = inspectJson(file);
    const conv = 6 * 4 * 4 * (2 * 3 * 3); // output elements x (C/group x kernel)
    const convTranspose = 6 * 4 * 4 * (3 * 2 * 2); // input elements x (M x kernel)
    const gemm = 5 * 192;
    assert.deepEqual(s.macs?.byOpType, [
      { opType: 'Conv', nodes: 1, macs: conv },
      { opType: 'ConvTranspose', nodes: 1, macs: convTranspose },
      { opType: 'Gemm', nodes: 1, macs: gemm },
    ]);
    assert.equal(s.macs?.total, 3840);
  });

  it('--no-macs skips ORT and says so', () => {
    const s = inspectJson(path.join(fixturesDir, 'mlp.onnx'), '--no-macs', '--top', '1');
    assert.equal(s.macs, null);
    assert.match(s.macsUnavailable ?? '', /--no-macs/);
    assert.equal(s.largestTensors.length, 1);
  });

  it('a shape ORT rejects still gives the rest of the report, with the reason', () => {
    const s = inspectJson(path.join(fixturesDir, 'mlp.onnx'), '--input-shape', 'input=1x5');
    assert.equal(s.macs, null);
    assert.match(s.macsUnavailable ?? '', /ONNX Runtime failed/);
    assert.equal(s.parameters.count, 52650);
  });
});

describe('retort inspect on bad input', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'retort-inspect-bad-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function assertFails(args: string[], status: number, message: RegExp): void {
    const r = retort(...args);
    assert.equal(r.status, status, `exit status; stderr: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without --debug');
    assert.equal(r.stdout, '');
  }

  it('a truncated model', () => {
    const file = path.join(dir, 'truncated.onnx');
    const bytes = readFileSync(path.join(fixturesDir, 'tiny_resnet.onnx'));
    writeFileSync(file, bytes.subarray(0, bytes.byteLength - 100));
    assertFails(['inspect', file], 1, /^error: .*truncated\.onnx is a truncated or corrupt ONNX model/);
  });

  it('random bytes and a text file', () => {
    const random = path.join(dir, 'random.onnx');
    writeFileSync(random, Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251)));
    assertFails(['inspect', random], 1, /^error: .*random\.onnx is not an ONNX model/);
    const text = path.join(dir, 'model.txt');
    writeFileSync(text, 'name,value\nlr,0.1\n');
    assertFails(['inspect', text], 1, /^error: .*model\.txt is not an ONNX model/);
  });

  it('a missing external data file', () => {
    const file = path.join(dir, 'external.onnx');
    saveModel(buildConvModel(), file, { externalData: { threshold: 256 } });
    unlinkSync(`${file}.data`);
    assertFails(['inspect', file], 1, /^error: Tensor "conv\.weight" keeps its data in ".*external\.onnx\.data", which does not exist/);
  });

  it('an unknown --input-shape name, and a malformed one', () => {
    const mlp = path.join(fixturesDir, 'mlp.onnx');
    assertFails(['inspect', mlp, '--input-shape', 'pixels=1x784'], 2, /^error: --input-shape "pixels=1x784": .*mlp\.onnx has no input "pixels"\. Should be one of: input$/m);
    assertFails(['inspect', mlp, '--input-shape', 'input=1xbig'], 2, /^error: --input-shape "input=1xbig": expected NAME=DIMS/);
  });

  it('a path that does not exist', () => {
    assertFails(['inspect', path.join(dir, 'missing.onnx')], 1, /^error: No such file: .*missing\.onnx$/m);
  });

  it('usage errors exit 2; --debug shows the stack', () => {
    assertFails(['inspect'], 2, /missing required argument 'model'/);
    assertFails(['inspect', 'x.onnx', '--frobnicate'], 2, /unknown option '--frobnicate'/);
    const r = retort('--debug', 'inspect', path.join(dir, 'missing.onnx'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: No such file/);
    assert.match(r.stderr, /^\s+at .*model\.js/m);
  });

  it('--help explains every option', () => {
    const r = retort('inspect', '--help');
    assert.equal(r.status, 0);
    for (const option of ['--input-shape <name=dims>', '--no-macs', '--top <n>', '--json']) assert.ok(r.stdout.includes(option), option);
  });
});
