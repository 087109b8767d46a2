/** A model built with the Graph API keeps everything it holds through encode/decode and external data. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attrTensor } from '../../src/onnx/attributes.js';
import { decodeModel, encodeModel, loadModel, saveModel } from '../../src/onnx/model.js';
import { listParameters } from '../../src/onnx/parameters.js';
import { Graph } from '../../src/onnx/graph.js';
import { int64ToNumber, type ModelProto } from '../../src/onnx/proto.js';
import { readFloat32 } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { boolTensor, floatTensor, readFloats } from '../../src/runtime/tensors.js';
import { buildHandModel, handBuiltWeights } from './handBuiltModel.js';

const x = Float32Array.from({ length: 2 * 3 }, (_, i) => (i - 2.5) / 3);

/** z for both branches of the If, as raw bytes. */
async function outputs(model: ModelProto): Promise<Buffer[]> {
  const session = await Session.create(encodeModel(model), { name: 'hand-built model', threads: 1 });
  try {
    const result: Buffer[] = [];
    for (const cond of [1, 0]) {
      const { z } = await session.run({ x: floatTensor(x, [2, 3]), cond: boolTensor(Uint8Array.of(cond), []) });
      const data = readFloats(z!, 'z');
      result.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    }
    return result;
  } finally {
    await session.dispose();
  }
}

/** Everything buildHandModel put in, read back from a (decoded) copy. */
function assertContents(model: ModelProto): void {
  assert.equal(int64ToNumber(model.irVersion), 8);
  assert.deepEqual(model.opsetImport.map((o) => [o.domain, int64ToNumber(o.version)]), [['', 17], ['com.microsoft', 1]]);
  assert.equal(model.producerName, 'retort-tests');
  assert.equal(model.docString, 'hand-built model');
  assert.deepEqual(model.metadataProps.map((p) => [p.key, p.value]), [['purpose', 'round trip'], ['unicode', 'ü – ✓']]);
  const graph = new Graph(model.graph!);
  assert.equal(graph.proto.docString, 'built by hand for round-trip tests');
  assert.deepEqual(graph.nodes.map((n) => `${n.domain}:${n.opType}`), [':Constant', ':MatMul', ':Add', 'com.microsoft:Gelu', ':If']);
  assert.equal(graph.nodes[3]!.docString, 'contrib op: needs the com.microsoft opset import');
  assert.deepEqual(readFloat32(attrTensor(graph.nodes[0]!, 'value')!), handBuiltWeights.W);
  assert.deepEqual(readFloat32(graph.initializer('b')!), handBuiltWeights.b);
  const ifNode = graph.nodes[4]!;
  const branches = Object.fromEntries(ifNode.attribute.map((a) => [a.name, a.g!]));
  assert.equal(branches.then_branch!.docString, 'then of the If');
  assert.deepEqual(branches.then_branch!.node.map((n) => n.opType), ['Relu']);
  assert.deepEqual(branches.else_branch!.node.map((n) => n.opType), ['Mul']);
  assert.deepEqual(readFloat32(branches.else_branch!.initializer[0]!), handBuiltWeights.s);
  assert.deepEqual(
    listParameters(graph).map((p) => [p.name, p.storage, p.dims]),
    [['b', 'initializer', [4]], ['W', 'constant', [3, 4]]],
  );
}

describe('hand-built model round trip', () => {
  it('holds what it was built with', () => {
    assertContents(buildHandModel());
  });

  it('decodes, encodes and decodes again with nothing lost and the same ORT outputs', async () => {
    const model = buildHandModel();
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes, 'hand-built bytes');
    assertContents(decoded);
    assert.ok(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes)), 're-encoding changed the bytes');
    const [before, after] = [await outputs(model), await outputs(decoded)];
    assert.ok(!before[0]!.equals(before[1]!), 'the two If branches give different z (the test sees both)');
    before.forEach((b, i) => assert.ok(after[i]!.equals(b), `branch ${i === 0 ? 'then' : 'else'}: outputs differ bitwise`));
  });

  it('keeps Constant, initializer and subgraph tensors through external data', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-handbuilt-'));
    try {
      const file = path.join(dir, 'hand.onnx');
      const model = buildHandModel();
      const expected = encodeModel(model);
      // 16 bytes: every float tensor here (b and s are 16, W is 48) goes to the side file.
      saveModel(model, file, { externalData: { threshold: 16, location: 'weights.bin' } });
      const stored = decodeModel(readFileSync(file));
      const ifBranches = stored.graph!.node[4]!.attribute;
      const external = [
        stored.graph!.node[0]!.attribute[0]!.t!,
        stored.graph!.initializer[0]!,
        ifBranches.find((a) => a.name === 'else_branch')!.g!.initializer[0]!,
      ];
      for (const t of external) {
        assert.equal(t.dataLocation, 1, `tensor "${t.name}" stored externally`);
        assert.equal(t.externalData.find((e) => e.key === 'location')?.value, 'weights.bin');
      }
      assert.ok(Buffer.from(encodeModel(model)).equals(Buffer.from(expected)), 'saveModel left the in-memory model as it was');
      const reloaded = loadModel(file);
      assertContents(reloaded);
      assert.ok(Buffer.from(encodeModel(reloaded)).equals(Buffer.from(expected)), 'reloaded model encodes differently');
      const [before, after] = [await outputs(model), await outputs(reloaded)];
      before.forEach((b, i) => assert.ok(after[i]!.equals(b), `branch ${i}: outputs differ bitwise after external data`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
