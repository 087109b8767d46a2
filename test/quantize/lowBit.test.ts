import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMlp } from '../../src/models/mlp.js';
import { encodeModel } from '../../src/onnx/model.js';
import { binaryCodes, exportLowBit, ternaryCodes } from '../../src/quantize/qat/lowBitExport.js';
import { checkLowBitOptions, insertLowBitWeights, type LowBitOptions } from '../../src/quantize/qat/ternary.js';
import { withQatSettings } from '../../src/quantize/qat/train.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor } from '../../src/runtime/tensors.js';
import { Trainer, type TrainerConfig } from '../../src/train/trainer.js';
import { isRetortError } from '../../src/util/errors.js';
import { blobs } from '../train/helpers.js';

test('TWN threshold and scale on a hand matrix', () => {
  // mean|W| = 3.35 / 6 = 0.558333, Δ = 0.7 · 0.558333 = 0.390833; kept 0.9, 0.5, -0.6, -1.2: α = 3.2 / 4 = 0.8.
  const w = Float32Array.from([0.9, -0.1, 0.5, -0.6, 0.05, -1.2]);
  const t = ternaryCodes(w, 0.7);
  assert.ok(Math.abs(t.threshold - 0.390833) < 1e-5, `threshold ${t.threshold}`);
  assert.deepEqual([...t.codes], [1, 0, 1, -1, 0, -1]);
  assert.ok(Math.abs(t.scales[0]! - 0.8) < 1e-6, `alpha ${t.scales[0]}`);
});

test('BinaryConnect signs (+1 at 0) and per-layer / per-channel scales', () => {
  const w = Float32Array.from([0.3, -0.2, 0, -0.7]);
  const layer = binaryCodes(w, [2, 2], undefined);
  assert.deepEqual([...layer.codes], [1, -1, 1, -1]);
  assert.ok(Math.abs(layer.scales[0]! - 0.3) < 1e-7);
  const channel = binaryCodes(w, [2, 2], 0);
  assert.deepEqual([...channel.scales].map((s) => Math.round(s * 1e6) / 1e6), [0.25, 0.35]);
});

const data = blobs(256, 8, 3, 5);
const config = (lr: number, maxSteps: number): TrainerConfig => ({
  batchSize: 32, epochs: 4, seed: 2, maxSteps, progress: 'silent', threads: 1,
  optimizer: { kind: 'sgd', momentum: 0 }, schedule: { kind: 'constant', lr },
});

async function logits(model: Parameters<typeof encodeModel>[0]): Promise<Float32Array> {
  const session = await Session.create(encodeModel(model), { threads: 1 });
  try {
    const out = await session.run({ input: floatTensor(data.inputs.subarray(0, 64 * 8), [64, 8]) });
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.dispose();
  }
}

for (const options of [{ weights: { method: 'twn', thresholdFactor: 0.7 } }, { weights: { method: 'binary', scale: 'per-channel' } }] as LowBitOptions[]) {
  test(`${options.weights.method}: trains through the STE, export holds codes {-1, 0, 1} and matches the training forward`, async () => {
    const lb = insertLowBitWeights(buildMlp({ hidden: [16], inputDims: [8], numClasses: 3, seed: 4 }), options);
    assert.equal(lb.sites.length, 2);
    // A large step pushes latent weights past ±1, where BinaryConnect clips them.
    const trainer = await Trainer.create(lb.model, withQatSettings(config(options.weights.method === 'binary' ? 5 : 0.05, 12), lb.training), { train: data });
    try {
      const result = await trainer.fit();
      assert.ok(Number.isFinite(result.lastLoss));
      const values = trainer.currentValues();
      const latent = lb.sites.flatMap((s) => [...values.get(s.weight)!]);
      if (options.weights.method === 'binary') {
        assert.ok(latent.every((w) => w >= -1 && w <= 1), 'latent weights stay in [-1, 1]');
        assert.ok(latent.some((w) => Math.abs(w) === 1), 'some latent weight was clipped');
      }
      const exported = exportLowBit(lb, values);
      const codes = exported.model.graph!.initializer.filter((t) => t.name.endsWith('_quantized'));
      assert.equal(codes.length, 2);
      for (const layer of exported.layers) {
        assert.equal(layer.packedBytes, Math.ceil((layer.count * layer.bitsPerWeight) / 8) + 4 * (options.weights.method === 'twn' ? 1 : layer.codebook.length));
      }
      const quantizedCount = exported.layers.reduce((n, l) => n + l.count, 0);
      assert.equal(exported.packedBytes, exported.floatBytes - 4 * quantizedCount + exported.layers.reduce((n, l) => n + l.packedBytes, 0));
      const reference = await logits(trainer.exportModel());
      const got = await logits(exported.model);
      const diff = Math.max(...reference.map((r, i) => Math.abs(r - got[i]!)));
      assert.ok(diff < 1e-3, `max |diff| ${diff}`);
    } finally {
      await trainer.dispose();
    }
  });
}

test('bad low-bit options give clear errors', () => {
  assert.throws(() => checkLowBitOptions({ weights: { method: 'twn', thresholdFactor: 1.5 } }), (e: unknown) => isRetortError(e) && /0\.7/.test(e.message));
  assert.throws(() => checkLowBitOptions({ weights: { method: 'xnor' } as never }), (e: unknown) => isRetortError(e) && /Should be one of: twn, binary/.test(e.message));
});
