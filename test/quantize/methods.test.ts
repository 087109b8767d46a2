import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/onnx/model.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { quantizeModel, type QuantizeOptions } from '../../src/quantize/index.js';
import { parseBits, parseBlockSize, parseCalibrator, parseQuantizeMethod } from '../../src/quantize/options.js';
import { fixtureNames, loadFixture } from '../helpers/fixtures.js';
import { cosineSimilarity, runFirstOutput } from './helpers.js';

test('bad options give errors naming the option and the valid choices', async () => {
  assert.throws(() => parseQuantizeMethod('int3'), /Unknown quantization method "int3". Should be one of: static, dynamic, weight-only, fp16/);
  assert.throws(() => parseBits(3), /--bits 3 is out of range.*4, 8/);
  assert.throws(() => parseBlockSize(48), /--block-size 48.*32, 64, 128/);
  assert.throws(() => parseCalibrator('kl'), /Unknown calibrator "kl". Should be one of: minmax, percentile, entropy, mse/);
  assert.throws(() => parseCalibrator('percentile', 120), /--percentile 120/);
  const model = loadModel(loadFixture('mlp').modelPath);
  await assert.rejects(quantizeModel(model, { method: 'weight-only', bits: 2, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } } as unknown as QuantizeOptions), /bits 2/);
  await assert.rejects(quantizeModel(model, { method: 'static' } as unknown as QuantizeOptions), /calibrator/i);
  await assert.rejects(quantizeModel(model, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'gptq', damping: 0.01 } }), /GPTQ needs calibration data/);
});

for (const name of ['mlp', 'lenet5_bn', 'tiny_resnet'].filter((n) => fixtureNames.includes(n))) {
  test(`dynamic int8 and fp16 ${name}: logits close to float`, async () => {
    const fx = loadFixture(name);
    const model = loadModel(fx.modelPath);
    const feeds = { input: floatTensor(fx.input.data as Float32Array, fx.input.dims) };
    const float = await runFirstOutput(model, feeds);
    const dynamic = await quantizeModel(model, { method: 'dynamic', weights: { symmetric: true, granularity: 'per-channel' } });
    const fp16 = await quantizeModel(model, { method: 'fp16', keepFp32Io: 'all' });
    const cosD = cosineSimilarity(float, await runFirstOutput(dynamic, feeds));
    const cosH = cosineSimilarity(float, await runFirstOutput(fp16, feeds));
    console.log(`${name}: dynamic cosine ${cosD.toFixed(6)}, fp16 cosine ${cosH.toFixed(6)}`);
    assert.ok(cosD > 0.99 && cosH > 0.999, `${name}: dynamic ${cosD}, fp16 ${cosH}`);
  });
}

test('fp16 keeps Softmax in fp32 behind Casts (gpt_tiny)', async (t) => {
  if (!fixtureNames.includes('gpt_tiny')) return t.skip('no gpt_tiny fixture');
  const model = loadModel(loadFixture('gpt_tiny').modelPath);
  const fp16 = await quantizeModel(model, { method: 'fp16', keepFp32Io: 'all' });
  const nodes = fp16.graph!.node;
  const producer = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const softmax = nodes.filter((n) => n.opType === 'Softmax');
  assert.ok(softmax.length > 0);
  for (const s of softmax) {
    const p = producer.get(s.input[0]!)!;
    assert.equal(p.opType, 'Cast', `Softmax ${s.name} input comes from ${p.opType}`);
    assert.equal(Number(p.attribute.find((a) => a.name === 'to')!.i), 1);
  }
  assert.ok(fp16.graph!.initializer.some((t) => t.dataType === 10), 'weights are fp16');
});
