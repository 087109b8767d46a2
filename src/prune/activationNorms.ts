/**
 * Wanda's calibration statistics: ||X_j||_2 of each input feature of each prunable layer over a
 * calibration set. Like ONNX Runtime's calibrator (which adds ReduceMin/ReduceMax outputs), the layer
 * inputs are exposed as graph outputs through a ReduceSumSquare over every axis but the feature axis,
 * so ORT reduces them and only one vector per layer per batch reaches JavaScript.
 */
import { defaultOpset, cloneForEditing } from '../autodiff/gradientModel.js';
import { GraphBuilder } from '../autodiff/builder.js';
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import { newValueInfo, type ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../runtime/shapeInference.js';
import { floatTensor, readFloats } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import type { PrunableLayer } from './layers.js';

export interface CalibrationOptions {
  batchSize?: number;
  threads?: number;
}

/** ||X_j||_2 per activation feature, by the layer's parameter name. */
export async function collectActivationNorms(model: ModelProto, layers: readonly PrunableLayer[], calibrationSet: Dataset, options: CalibrationOptions = {}): Promise<Map<string, Float32Array>> {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const opset = defaultOpset(copy);
  const b = new GraphBuilder(graph, opset, 'wanda/');
  const batchSize = Math.min(options.batchSize ?? 128, calibrationSet.length);
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
    for (const batch of epochBatches(calibrationSet, { batchSize, shuffle: false, dropLast: false })) {
      const results = await session.run({ [input]: floatTensor(batch.inputs, batch.dims) }, fetches);
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
