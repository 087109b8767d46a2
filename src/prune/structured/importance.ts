/**
 * Importance of each channel of a group, and of a whole parameter set (a residual branch):
 * - 'l1' / 'l2': norm of the channel's output weights (its filters or neurons, summed over every
 *   producer of a residual group), as Li et al. 2017, "Pruning Filters for Efficient ConvNets".
 * - 'taylor': sum over every parameter element the channel owns (filters, next-layer columns,
 *   biases, BatchNorm vectors) of |w * dL/dw|, the first-order estimate of the loss change from
 *   removing it (Molchanov et al. 2017/2019), with dL/dw summed over calibration batches.
 */
import { GraphBuilder } from '../../autodiff/builder.js';
import { buildGradientModel, cloneForEditing, defaultOpset } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { listParameters } from '../../onnx/parameters.js';
import type { ModelProto } from '../../onnx/proto.js';
import { encodeModel } from '../../onnx/model.js';
import { readFloat32, tensorDims } from '../../onnx/tensor.js';
import { Session, type Feeds } from '../../runtime/session.js';
import { inferShapes } from '../../runtime/shapeInference.js';
import { softmaxCrossEntropy } from '../../train/losses.js';
import { RetortError } from '../../util/errors.js';
import type { ParameterSlice } from './coupling.js';
import type { ChannelGroup } from './dependencies.js';

export type ImportanceCriterion = 'l1' | 'l2' | 'taylor';
export const IMPORTANCE_CRITERIA: readonly ImportanceCriterion[] = ['l1', 'l2', 'taylor'];

/** Labelled batches for Taylor importance: the model's inputs plus `labels` (int64 class indices). */
export interface Calibration {
  batches: readonly Feeds[];
  labelsInput?: string;
}

/** Per-element scores by parameter name: |w| (l1), w^2 (l2) or |w * sum of dL/dw| (taylor). */
export type ElementScores = ReadonlyMap<string, { dims: number[]; scores: Float64Array }>;

export async function elementScores(model: ModelProto, criterion: ImportanceCriterion, calibration?: Calibration): Promise<ElementScores> {
  const parameters = listParameters(new Graph(model.graph!));
  const result = new Map<string, { dims: number[]; scores: Float64Array }>();
  const gradients = criterion === 'taylor' ? await summedGradients(model, calibration) : undefined;
  for (const p of parameters) {
    const w = readFloat32(p.tensor);
    const g = gradients?.get(p.name);
    const scores = Float64Array.from(w, (x, i) => (criterion === 'l1' ? Math.abs(x) : criterion === 'l2' ? x * x : Math.abs(x * (g ? g[i]! : 0))));
    result.set(p.name, { dims: tensorDims(p.tensor), scores });
  }
  return result;
}

async function summedGradients(model: ModelProto, calibration?: Calibration): Promise<Map<string, Float64Array>> {
  if (!calibration || calibration.batches.length === 0) {
    throw new RetortError('BAD_ARGUMENT', 'Taylor importance needs calibration batches (inputs and labels); pass --data or use --importance l1|l2');
  }
  const labelsInput = calibration.labelsInput ?? 'labels';
  const first = calibration.batches[0]!;
  const { [labelsInput]: labels, ...inputs } = first;
  if (!labels) throw new RetortError('BAD_ARGUMENT', `Calibration batches need a "${labelsInput}" tensor of class indices`);
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const shapes = await inferShapes(copy, inputs);
  // The model's own parameters, listed before the loss adds float constants of its own.
  const wrt = listParameters(graph).map((p) => p.name);
  const logits = graph.outputs[0]!.name;
  const b = new GraphBuilder(graph, defaultOpset(copy), 'taylor/');
  const term = softmaxCrossEntropy({ b, shape: (v) => shapes.get(v)?.dims ?? [], modelOutput: logits }, logits, 'index', labelsInput);
  copy.graph!.input.push(...term.inputs);
  const gradientModel = await buildGradientModel(copy, term.value, wrt, first);
  const session = await Session.create(encodeModel(gradientModel.model), { name: 'Taylor importance gradients' });
  const sums = new Map<string, Float64Array>();
  try {
    for (const batch of calibration.batches) {
      const results = await session.run(batch);
      for (const [name, output] of gradientModel.gradientOutputs) {
        const g = results[output]!.data as Float32Array;
        const sum = sums.get(name) ?? new Float64Array(g.length);
        for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]!;
        sums.set(name, sum);
      }
    }
  } finally {
    await session.dispose();
  }
  return sums;
}

/** Sum of the scores of channel c's elements in one slice. */
function sliceScore(slice: ParameterSlice, channel: number, scores: ElementScores): number {
  const entry = scores.get(slice.parameter);
  if (!entry) return 0;
  const { dims, scores: s } = entry;
  const outer = dims.slice(0, slice.axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(slice.axis + 1).reduce((a, b) => a * b, 1);
  const size = dims[slice.axis]!;
  let total = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < slice.block; j++) {
      const base = (o * size + slice.offset + channel * slice.block + j) * inner;
      for (let i = 0; i < inner; i++) total += s[base + i]!;
    }
  }
  return total;
}

/** One score per channel of the group (higher = more important). */
export function channelImportance(group: ChannelGroup, criterion: ImportanceCriterion, scores: ElementScores): Float64Array {
  const slices = criterion === 'taylor' ? group.slices : group.slices.filter((s) => s.role === 'out');
  const result = new Float64Array(group.channels);
  for (let c = 0; c < group.channels; c++) {
    let total = 0;
    for (const slice of slices) total += sliceScore(slice, c, scores);
    result[c] = criterion === 'l2' ? Math.sqrt(total) : total;
  }
  return result;
}
