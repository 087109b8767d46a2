/**
 * Evaluates one distillation term on small arrays: the student value is a graph input `x` (so the
 * gradient with respect to it is the term's gradient with respect to the student value), teacher
 * values are fed as their inputs. Returns the loss and dLoss/dx, read through ORT.
 */
import { GraphBuilder } from '../../../src/autodiff/builder.js';
import { buildGradientModel } from '../../../src/autodiff/gradientModel.js';
import { composeObjective } from '../../../src/distill/terms/objective.js';
import type { DistillTerm } from '../../../src/distill/terms/types.js';
import { Graph } from '../../../src/onnx/graph.js';
import { encodeModel } from '../../../src/onnx/model.js';
import { newGraph, newModel, newValueInfo } from '../../../src/onnx/proto.js';
import { writeTensor } from '../../../src/onnx/tensor.js';
import { Session } from '../../../src/runtime/session.js';
import { floatTensor, int64Tensor, readFloats, readScalar } from '../../../src/runtime/tensors.js';
import { LABELS_INPUT } from '../../../src/train/losses.js';
import { teacherInputName } from '../../../src/distill/terms/objective.js';

export interface Array_ {
  dims: number[];
  data: number[];
}

export async function evaluateTerm(
  term: DistillTerm,
  student: Array_,
  teacher: Record<string, Array_>,
  options: { studentName?: string; parameters?: Record<string, number[]> } = {},
): Promise<{ loss: number; grad: Float32Array; metrics: Record<string, number> }> {
  const name = options.studentName ?? 's';
  const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: newGraph({ name: 'term' }) });
  const graph = new Graph(model.graph!);
  const dims = (d: number[]) => ({ tensorType: { elemType: 1, shape: { dim: d.map((dimValue) => ({ dimValue })) } } });
  model.graph!.input.push(newValueInfo({ name: 'x', type: dims(student.dims) }));
  graph.addNode({ opType: 'Identity', inputs: ['x'], outputs: [name] });
  model.graph!.output.push(newValueInfo({ name }));
  const b = new GraphBuilder(graph, 17, 'loss/');
  const sampleDims = new Map(Object.entries(teacher).map(([k, v]) => [k, v.dims.slice(1)]));
  const objective = composeObjective([{ name: 'term', weight: 1, term }], { seed: 7, teacherSampleDims: sampleDims });
  const built = objective.loss.build({ b, shape: () => student.dims, modelOutput: name });
  for (const [parameter, values] of Object.entries(options.parameters ?? {})) writeTensor(graph.initializer(`distill:term:${parameter}`)!, Float32Array.from(values));
  model.graph!.input.push(...built.inputs);
  const metricOutputs = Object.entries(built.metrics).map(([metric, value]) => {
    graph.addNode({ opType: 'Identity', inputs: [value], outputs: [`metric:${metric}`] });
    return metric;
  });
  const feeds = {
    x: floatTensor(Float32Array.from(student.data), student.dims),
    [LABELS_INPUT]: int64Tensor(new Array(student.dims.slice(0, -1).reduce((a, c) => a * c, 1)).fill(0), student.dims.slice(0, -1)),
    ...Object.fromEntries(Object.entries(teacher).map(([k, v]) => [teacherInputName(k), floatTensor(Float32Array.from(v.data), v.dims)])),
  };
  const { model: withGrad, gradientOutputs } = await buildGradientModel(model, built.value, ['x'], feeds);
  for (const metric of metricOutputs) withGrad.graph!.output.push(newValueInfo({ name: `metric:${metric}` }));
  const session = await Session.create(encodeModel(withGrad));
  try {
    const out = await session.run(feeds);
    const metrics = Object.fromEntries(metricOutputs.map((m) => [m, readScalar(out[`metric:${m}`]!)]));
    return { loss: readScalar(out[withGrad.graph!.output[0]!.name]!), grad: readFloats(out[gradientOutputs.get('x')!]!), metrics };
  } finally {
    await session.dispose();
  }
}

/** Central finite differences of a float64 JavaScript function of the student's values. */
export function numericGradient(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const plus = [...x];
    const minus = [...x];
    plus[i]! += h;
    minus[i]! -= h;
    return (f(plus) - f(minus)) / (2 * h);
  });
}

export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, what: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    if (!(error <= tolerance * Math.max(1, Math.abs(want[i]!)))) throw new Error(`${what}[${i}]: got ${got[i]}, expected ${want[i]} (tolerance ${tolerance})`);
  }
}

export function softmax(row: number[], temperature = 1): number[] {
  const scaled = row.map((v) => v / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, c) => a + c, 0);
  return exps.map((e) => e / sum);
}

export const rowsOf = (flat: number[], width: number): number[][] => Array.from({ length: flat.length / width }, (_, i) => flat.slice(i * width, (i + 1) * width));
