/**
 * Every PyTorch fixture survives decode -> encode -> decode, inline and with external data, with
 * ORT outputs bit-identical to the original file's on the fixture input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/model.js';
import { Session, type Feeds } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor } from '../../src/runtime/tensors.js';
import { fixtureNames, loadFixture, type Fixture } from '../helpers/fixtures.js';

function fixtureFeeds(fixture: Fixture): Feeds {
  const { data, dims } = fixture.input;
  const input = data instanceof BigInt64Array ? int64Tensor(data, dims) : floatTensor(data, dims);
  return { input };
}

/** Output name -> raw bytes of the output, for exact comparison. */
async function runBytes(modelBytes: Uint8Array, feeds: Feeds): Promise<Map<string, Buffer>> {
  const session = await Session.create(modelBytes, { name: 'round-trip check', threads: 1 });
  try {
    const results = await session.run(feeds);
    const out = new Map<string, Buffer>();
    for (const [name, tensor] of Object.entries(results)) {
      const data = tensor.data as Float32Array;
      out.set(name, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    return out;
  } finally {
    await session.dispose();
  }
}

function assertSameOutputs(actual: Map<string, Buffer>, expected: Map<string, Buffer>, what: string): void {
  assert.deepEqual([...actual.keys()], [...expected.keys()], `${what}: output names`);
  for (const [name, bytes] of expected) {
    assert.ok(actual.get(name)!.equals(bytes), `${what}: output "${name}" differs bitwise from the original model's`);
  }
}

describe('fixture round trip', () => {
  assert.deepEqual(fixtureNames, ['gpt_tiny', 'lenet5_bn', 'mlp', 'tiny_resnet'], 'fixtures present in ../shared/fixtures/torch');

  for (const name of fixtureNames) {
    describe(name, () => {
      const fixture = loadFixture(name);
      const original = readFileSync(fixture.modelPath);

      it('decodes, encodes and decodes again to the same model', () => {
        const once = encodeModel(decodeModel(original, fixture.modelPath));
        const twice = encodeModel(decodeModel(once, 're-encoded model'));
        assert.ok(Buffer.from(once).equals(Buffer.from(twice)), 'second encoding differs from the first');
        assert.deepEqual(decodeModel(once), decodeModel(original));
      });

      it('gives bit-identical ORT outputs after the round trip, matching PyTorch', async () => {
        const feeds = fixtureFeeds(fixture);
        const before = await runBytes(original, feeds);
        const after = await runBytes(encodeModel(decodeModel(encodeModel(loadModel(fixture.modelPath)))), feeds);
        assertSameOutputs(after, before, name);
        // Sanity: the file is the model the manifest describes (PyTorch vs ORT, float32 noise only).
        const logits = new Float32Array(before.get('logits')!.buffer.slice(0));
        const worst = logits.reduce((m, v, i) => Math.max(m, Math.abs(v - fixture.logits!.data[i]!)), 0);
        assert.ok(worst < 1e-4, `${name}: ORT logits differ from PyTorch's by ${worst}`);
      });

      it('gives bit-identical ORT outputs after saving with external data and loading back', async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-roundtrip-'));
        try {
          const file = path.join(dir, `${name}.onnx`);
          saveModel(loadModel(fixture.modelPath), file, { externalData: { threshold: 256 } });
          const dataFile = `${file}.data`;
          assert.ok(existsSync(dataFile), 'external data file written');
          // The side file really holds the weights: the .onnx alone is a fraction of the original.
          assert.ok(readFileSync(file).byteLength < original.byteLength / 2, 'large tensors moved out of the .onnx');
          const stored = decodeModel(readFileSync(file));
          assert.ok(stored.graph!.initializer.some((t) => t.dataLocation === 1), 'some initializer is marked external');

          const reloaded = loadModel(file);
          // Same bytes as the inline round trip: nothing lost or changed on the way through the side file.
          assert.ok(Buffer.from(encodeModel(reloaded)).equals(Buffer.from(encodeModel(loadModel(fixture.modelPath)))), 'reloaded model encodes differently');
          const feeds = fixtureFeeds(fixture);
          assertSameOutputs(await runBytes(encodeModel(reloaded), feeds), await runBytes(original, feeds), `${name} (external data)`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  }
});
