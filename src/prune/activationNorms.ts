/**
 * Wanda's calibration statistics: ||X_j||_2 of each input feature of each prunable layer over a
 * calibration set. Like ONNX Runtime's calibrator (which adds ReduceMin/ReduceMax outputs), the layer
 * inputs are exposed as graph outputs through a ReduceSumSquare over every axis but the feature axis,
 * so ORT reduces them and only one vector per layer per batch reaches JavaScript. The calibration
 * set is samples (a Dataset) or, for a language model, windows of tokens.
 */
import { defaultOpset, cloneForEditing } from '../autodiff/gradientModel.js';
import { GraphBuilder } from '../autodiff/builder.js';
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import type { TokenSequence } from '../data/text/corpus.js';
import { sequentialWindowStarts, windowBatches } from '../data/text/windows.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import { newValueInfo, type ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../runtime/shapeInference.js';
import { floatTensor, int64Tensor, readFloats, type OrtTensor } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import type { PrunableLayer } from './layers.js';

export interface CalibrationOptions {
  batchSize?: number;
  threads?: number;
}

/**
 * Calibration text for a language model: non-overlapping windows of `context` tokens of `sequence`
 * (the first `windows` of them, default all) fed as int64 [batch, context]. A MatMul weight then
 * multiplies activations [batch, seq, K], and X_j runs over every token of every window, as Wanda
 * counts "N × L tokens" (Sun et al. 2023, §3).
 */
export interface TokenCalibrationSet {
  kind: 'tokens';
  sequence: TokenSequence;
  context: number;
  windows?: number;
}

/** ||X_j||_2 per activation feature, by the layer's parameter name. */
export async function collectActivationNorms(model: ModelProto, layers: readonly PrunableLayer[], calibrationSet: Dataset | TokenCalibrationSet, options: CalibrationOptions = {}): Promise<Map<string, Float32Array>> {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const opset = defaultOpset(copy);
  const b = new GraphBuilder(graph, opset, 'wanda/');
  const batches = calibrationBatches(calibrationSet, options.batchSize);
  const shapes = await inferShapes(copy, sampleFeeds(copy, resolveInputShapes(copy, {}, 1)));
  // One reduction per distinct (activation, feature axis); layers reading the same input share it.
  const outputs = new Map<string, string>();
  const outputOf = new Map<string, string>();
  for (const layer of layers) {
    const rank = shapes.get(layer.activation)?.dims.length;
    if (rank === undefined) throw new RetortError('SHAPE_UNKNOWN', `Wanda: no shape known for "${layer.activation}", the input of layer "${layer.name}"`);
    const featureAxis = (layer.layout.activation.featureAxis + rank) % rank;
    const key = `${layer.activation}@${featureAxis}`;
    if (!outputs.has(key)) {
      const axes = Array.from({ length: rank }, (_, i) => i).filter((a) => a !== featureAxis);
      const attrs = { keepdims: 0 };
      const reduced = opset >= 18 ? b.op('ReduceSumSquare', [layer.activation, b.constInt64(axes, [axes.length])], attrs) : b.op('ReduceSumSquare', [layer.activation], { ...attrs, axes });
      graph.proto.output.push(newValueInfo({ name: reduced }));
      outputs.set(key, reduced);
    }
    outputOf.set(layer.name, outputs.get(key)!);
  }
  graph.touch();
  const session = await Session.create(encodeModel(copy), { name: 'Wanda calibration', threads: options.threads ?? 0 });
  const sums = new Map<string, Float64Array>();
  try {
    const input = session.inputNames[0]!;
    const fetches = [...outputs.values()];
    for (const batch of batches) {
      const results = await session.run({ [input]: batch }, fetches);
      for (const name of fetches) {
        const values = readFloats(results[name]!, name);
        const sum = sums.get(name) ?? new Float64Array(values.length);
        for (let i = 0; i < values.length; i++) sum[i]! += values[i]!;
        sums.set(name, sum);
      }
    }
  } finally {
    await session.dispose();
  }
  return new Map(layers.map((l) => [l.name, Float32Array.from(sums.get(outputOf.get(l.name)!)!, Math.sqrt)]));
}

/** The calibration inputs, batch by batch: float samples, or token windows as int64 [batch, context]. */
function* calibrationBatches(calibrationSet: Dataset | TokenCalibrationSet, requested: number | undefined): Generator<OrtTensor> {
  if ('kind' in calibrationSet && calibrationSet.kind === 'tokens') {
    const { sequence, context } = calibrationSet;
    const all = sequentialWindowStarts(sequence, context);
    const starts = calibrationSet.windows === undefined ? all : all.subarray(0, calibrationSet.windows);
    for (const windows of windowBatches(sequence, starts, context, requested ?? 16)) yield int64Tensor(windows.inputs.slice(), [windows.count, context]);
    return;
  }
  const dataset = calibrationSet as Dataset;
  const batchSize = Math.min(requested ?? 128, dataset.length);
  for (const batch of epochBatches(dataset, { batchSize, shuffle: false, dropLast: false })) yield floatTensor(batch.inputs, batch.dims);
}
