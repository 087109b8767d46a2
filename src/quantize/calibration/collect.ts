/**
 * Running the calibration set through ORT: a copy of the model gets extra outputs (ReduceMin and
 * ReduceMax of each tensor, or the tensor itself for histograms), every batch from the reader runs
 * once, and statistics are folded in batch by batch, so memory does not grow with the set's size.
 */
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import { newValueInfo, type ModelProto } from '../../onnx/proto.js';
import { Session, type Feeds } from '../../runtime/session.js';
import type { OrtTensor } from '../../runtime/tensors.js';
import { RetortError } from '../../util/errors.js';
import type { Statistics } from './calibrator.js';
import { AbsHistogram, DEFAULT_HISTOGRAM_BINS } from './histogram.js';
import type { CalibrationDataReader } from './reader.js';

export interface CollectOptions {
  kind: Statistics['kind'];
  /** Histogram bins (fixed for the whole run); default 2048. */
  bins?: number;
}

export interface CalibrationOutputs {
  model: ModelProto;
  /** Per tensor, the augmented model's outputs that carry its statistics. */
  outputs: Map<string, string[]>;
}

/** A copy of `model` that also outputs the statistics `kind` needs for each of `tensors`. */
export function augmentForCalibration(model: ModelProto, tensors: readonly string[], kind: Statistics['kind']): CalibrationOutputs {
  const copy = decodeModel(encodeModel(model));
  const graph = new Graph(copy.graph!);
  const inputs = new Set(graph.dataInputs.map((i) => i.name));
  const outputs = new Map<string, string[]>();
  const existing = new Set(graph.outputs.map((o) => o.name));
  const expose = (name: string): void => {
    if (!existing.has(name)) copy.graph!.output.push(newValueInfo({ name }));
    existing.add(name);
  };
  for (const tensor of tensors) {
    if (kind === 'histogram') {
      // Graph inputs are read from the feeds: ORT rejects an output that is also an input.
      if (!inputs.has(tensor)) expose(tensor);
      outputs.set(tensor, [tensor]);
      continue;
    }
    const names = ['ReduceMin', 'ReduceMax'].map((op) => {
      const out = graph.uniqueName(`${tensor}_${op}`);
      graph.addNode({ opType: op, inputs: [tensor], outputs: [out], attrs: { keepdims: 0 }, name: graph.uniqueName(`${tensor}_${op}_calibration`) });
      expose(out);
      return out;
    });
    outputs.set(tensor, names);
  }
  graph.touch();
  return { model: copy, outputs };
}

function floatsOf(t: OrtTensor, tensor: string): Float32Array {
  if (t.type !== 'float32') throw new RetortError('UNSUPPORTED_DTYPE', `Calibration tensor "${tensor}" is ${t.type}, only float32 activations are calibrated`);
  return t.data as Float32Array;
}

/** Statistics of `tensors` over every batch the reader gives (at least one). */
export async function collectStatistics(
  model: ModelProto,
  tensors: readonly string[],
  reader: CalibrationDataReader,
  options: CollectOptions,
): Promise<Map<string, Statistics>> {
  const { model: augmented, outputs } = augmentForCalibration(model, tensors, options.kind);
  const session = await Session.create(encodeModel(augmented), { name: 'calibration graph' });
  const stats = new Map<string, Statistics>();
  for (const t of tensors) {
    stats.set(t, options.kind === 'minmax' ? { kind: 'minmax', min: Infinity, max: -Infinity } : { kind: 'histogram', histogram: new AbsHistogram(options.bins ?? DEFAULT_HISTOGRAM_BINS) });
  }
  const fetches = [...new Set([...outputs.values()].flat().filter((o) => !session.inputNames.includes(o)))];
  let batches = 0;
  try {
    for (let feeds: Feeds | null = reader.next(); feeds !== null; feeds = reader.next()) {
      batches++;
      const results = await session.run(feeds, fetches);
      const value = (name: string): OrtTensor => results[name] ?? feeds[name]!;
      for (const t of tensors) {
        const s = stats.get(t)!;
        const names = outputs.get(t)!;
        if (s.kind === 'minmax') {
          s.min = Math.min(s.min, floatsOf(value(names[0]!), t)[0]!);
          s.max = Math.max(s.max, floatsOf(value(names[1]!), t)[0]!);
        } else {
          s.histogram.add(floatsOf(value(names[0]!), t));
        }
      }
    }
  } finally {
    await session.dispose();
  }
  if (batches === 0) throw new RetortError('DATA_INVALID', 'The calibration data reader gave no batches');
  return stats;
}
