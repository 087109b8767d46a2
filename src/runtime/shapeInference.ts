/**
 * Types and shapes of every value in a graph, learned by running it in ORT on sample inputs with
 * every intermediate value exposed as an output. This is exact for the given input shapes, which
 * is what training graphs (built for one batch size) need.
 */
import { DataType } from '../onnx/dtype.js';
import { encodeModel } from '../onnx/model.js';
import { Graph } from '../onnx/graph.js';
import { newModel, newValueInfo, type ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { ort, type OrtTensor } from './ort.js';
import { Session, type Feeds } from './session.js';

export interface ValueShape {
  dims: number[];
  /** ORT element type name, e.g. 'float32', 'int64'. */
  type: string;
}

/** Declared input dims with symbolic ones filled from `overrides` (by input name) or `defaultDim`. */
export function resolveInputShapes(
  model: ModelProto,
  overrides: Record<string, readonly number[]> = {},
  defaultDim = 1,
): Record<string, number[]> {
  const graph = new Graph(model.graph!);
  const names = new Set(graph.dataInputs.map((i) => i.name));
  for (const name of Object.keys(overrides)) {
    if (!names.has(name)) {
      throw new RetortError('UNKNOWN_INPUT', `The model has no input "${name}". Inputs: ${[...names].join(', ')}`);
    }
  }
  const shapes: Record<string, number[]> = {};
  for (const input of graph.dataInputs) {
    const given = overrides[input.name];
    if (given) {
      shapes[input.name] = [...given];
      continue;
    }
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    shapes[input.name] = dims.map((d) => {
      const v = d.dimValue === undefined || d.dimValue === null ? 0 : Number(d.dimValue);
      return v > 0 ? v : defaultDim;
    });
  }
  return shapes;
}

const ortTypeByCode: Record<number, ort.Tensor.Type> = {
  [DataType.FLOAT]: 'float32', [DataType.DOUBLE]: 'float64', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32',
  [DataType.UINT8]: 'uint8', [DataType.INT8]: 'int8', [DataType.BOOL]: 'bool', [DataType.FLOAT16]: 'float16',
};

/** Seeded sample feeds: floats in [0, 1), integers in [0, integerHigh) (safe as token ids or indices). */
export function sampleFeeds(model: ModelProto, shapes: Record<string, readonly number[]>, seed = 0, integerHigh = 2): Feeds {
  const rng = new Rng(seed);
  const graph = new Graph(model.graph!);
  const feeds: Feeds = {};
  for (const input of graph.dataInputs) {
    const dims = shapes[input.name] ?? [];
    const count = dims.reduce((a, b) => a * b, 1);
    const type = ortTypeByCode[input.type?.tensorType?.elemType ?? DataType.FLOAT] ?? 'float32';
    let data: ort.Tensor.DataType;
    if (type === 'int64') data = BigInt64Array.from({ length: count }, () => BigInt(rng.int(integerHigh)));
    else if (type === 'int32') data = Int32Array.from({ length: count }, () => rng.int(integerHigh));
    else if (type === 'bool' || type === 'uint8') data = Uint8Array.from({ length: count }, () => rng.int(2));
    else if (type === 'float64') data = Float64Array.from({ length: count }, () => rng.next());
    else data = Float32Array.from({ length: count }, () => rng.next());
    feeds[input.name] = new ort.Tensor(type, data as never, dims);
  }
  return feeds;
}

/**
 * Shapes of all tensor values (inputs, initializers, node outputs) of the main graph for the given
 * feeds. Values inside subgraphs are not visited.
 */
export async function inferShapes(model: ModelProto, feeds: Feeds): Promise<Map<string, ValueShape>> {
  const graph = model.graph!;
  const shapes = new Map<string, ValueShape>();
  for (const [name, t] of Object.entries(feeds)) shapes.set(name, { dims: [...t.dims], type: t.type });
  for (const t of graph.initializer) {
    shapes.set(t.name, { dims: t.dims.map(Number), type: ortTypeByCode[t.dataType] ?? `dtype${t.dataType}` });
  }
  const wanted = new Set<string>();
  for (const node of graph.node) for (const o of node.output) if (o && !shapes.has(o)) wanted.add(o);
  // A copy of the model whose outputs are every intermediate value (types left for ORT to infer).
  const probe = newModel({ ...model, graph: { ...graph, output: [...wanted].map((name) => newValueInfo({ name })) } });
  const session = await Session.create(encodeModel(probe), { name: 'shape probe', optimization: 'disabled' });
  try {
    const results: Record<string, OrtTensor> = await session.run(feeds);
    for (const [name, t] of Object.entries(results)) shapes.set(name, { dims: [...t.dims], type: t.type });
  } finally {
    await session.dispose();
  }
  return shapes;
}
