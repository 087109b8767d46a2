import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGradientModel } from '../../src/autodiff/gradientModel.js';
import { Graph } from '../../src/onnx/graph.js';
import { decodeModel, encodeModel, loadModel } from '../../src/onnx/model.js';
import type { ModelProto } from '../../src/onnx/proto.js';
import { makeTensor, readFloat32 } from '../../src/onnx/tensor.js';
import { Session } from '../../src/runtime/session.js';
import { resolveInputShapes, sampleFeeds } from '../../src/runtime/shapeInference.js';
import { clusterWeights, decodeDeepCompressed, deepCompress, sharedTrainingModel } from '../../src/encode/index.js';
import { loadFixture } from '../helpers/fixtures.js';

/** Stand-in pruning stage for the test: zero the smallest |w| of every weight matrix. */
async function zeroSmallest(model: ModelProto, sparsity: number): Promise<ModelProto> {
  const copy = decodeModel(encodeModel(model));
  copy.graph!.initializer = copy.graph!.initializer.map((t) => {
    if (t.dims.length < 2) return t;
    const w = readFloat32(t);
    const threshold = [...w].map(Math.abs).sort((a, b) => a - b)[Math.floor(sparsity * w.length)]!;
    return makeTensor(t.name, t.dims.map((d) => Number(d)), w.map((x) => (Math.abs(x) < threshold ? 0 : x)));
  });
  return copy;
}

test('Deep Compression encode/decode round trip is exact (bytes of the ONNX model)', async () => {
  const model = loadModel(loadFixture('lenet5_bn').modelPath);
  const result = await deepCompress(model, { prune: (m) => zeroSmallest(m, 0.8), sharing: { clustersConv: 256, clustersFc: 32 } });
  const decoded = encodeModel(decodeDeepCompressed(result.bytes));
  assert.deepEqual(decoded, encodeModel(result.model));
  assert.ok(result.total.compressRatePQH > result.total.compressRatePQ * 0.9, 'Huffman does not make it much worse');
  for (const row of result.sizes) {
    assert.ok(Math.abs(row.weightsFraction - 0.2) < 0.02, `${row.layer}: ${row.weightsFraction}`);
    assert.ok(row.weightBitsPQH <= row.weightBitsPQ && row.indexBitsPQH <= row.indexBitsPQ, row.layer);
  }
  // Each shared layer holds at most its cluster count of distinct non-zero values.
  const graph = new Graph(result.model.graph!);
  for (const layer of result.layers) {
    const distinct = new Set(readFloat32(graph.initializer(layer.parameter)!).filter((x) => x !== 0));
    assert.ok(distinct.size <= layer.clusters, layer.parameter);
  }
  assert.throws(() => decodeDeepCompressed(result.bytes.subarray(0, 100)), /truncated|header/);
});

test('the Gather form sends each centroid the sum of its members\' gradients', async () => {
  const model = await zeroSmallest(loadModel(loadFixture('mlp').modelPath), 0.5);
  const layers = clusterWeights(model, { clustersConv: 8, clustersFc: 4 });
  const training = sharedTrainingModel(model, layers);
  const feeds = sampleFeeds(model, resolveInputShapes(model, {}, 3), 1);
  const logits = training.graph!.output[0]!.name;
  // Loss = sum of logits, through ReduceSum, differentiated both ways.
  const withLoss = (m: ModelProto): ModelProto => {
    const copy = decodeModel(encodeModel(m));
    copy.graph!.node.push({ ...copy.graph!.node[0]!, opType: 'ReduceSum', name: 'loss', input: [logits], output: ['loss'], attribute: [{ ...copy.graph!.node[0]!.attribute[0]!, name: 'keepdims', type: 2, i: 0 }] });
    return copy;
  };
  const layer = layers.find((l) => l.parameter === 'l2.weight')!;
  const shared = await buildGradientModel(withLoss(training), 'loss', ['l2.weight.centroids'], feeds);
  const dense = await buildGradientModel(withLoss(decodeModel(encodeModel(training))), 'loss', ['l2.weight'], feeds);
  const run = async (g: typeof shared, name: string) => {
    const s = await Session.create(encodeModel(g.model));
    const out = (await s.run(feeds))[g.gradientOutputs.get(name)!]!.data as Float32Array;
    await s.dispose();
    return out;
  };
  const centroidGradient = await run(shared, 'l2.weight.centroids');
  const memberGradient = await run(dense, 'l2.weight');
  const summed = new Float64Array(layer.codebook.length);
  layer.clusters.forEach((c, i) => {
    if (c >= 0) summed[c] = summed[c]! + memberGradient[i]!;
  });
  for (let c = 0; c < summed.length; c++) assert.ok(Math.abs(summed[c]! - centroidGradient[c]!) < 1e-4 * Math.max(1, Math.abs(summed[c]!)), `centroid ${c}: ${summed[c]} vs ${centroidGradient[c]}`);
});
