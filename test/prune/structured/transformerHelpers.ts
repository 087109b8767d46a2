/** Models and edits shared by the transformer structured-pruning tests. */
import path from 'node:path';
import { buildGpt } from '../../../src/models/gpt.js';
import { Graph } from '../../../src/onnx/graph.js';
import { decodeModel, encodeModel, loadModel } from '../../../src/onnx/model.js';
import { readParameter, writeParameter } from '../../../src/onnx/parameters.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import type { Feeds } from '../../../src/runtime/session.js';
import { resolveInputShapes, sampleFeeds } from '../../../src/runtime/shapeInference.js';
import { fixturesDir } from '../../helpers/fixtures.js';

export const GPT = { layers: 3, dim: 16, heads: 4, context: 8, vocabSize: 11 } as const;
export const tinyGpt = (seed = 1): ModelProto => buildGpt({ ...GPT, seed });
export const loadGptTiny = (): ModelProto => loadModel(path.join(fixturesDir, 'gpt_tiny.onnx'));

/**
 * Where each model keeps what a head and an MLP neuron own, by parameter name and axis, written out
 * independently of the pattern matcher: retort's GPT stores weights [in, out], PyTorch's export
 * [out, in] (read through Transpose) with q, k, v fused in one `qkv` weight.
 */
export interface Layout {
  name: string;
  heads: number;
  headDim: number;
  mlpWidth: number;
  /** The output projection's weight of layer i and the axis of its H·D inputs. */
  outProjection: (layer: number) => { parameter: string; axis: number };
  /** fc2's weight of layer i and the axis of its hidden inputs. */
  fc2: (layer: number) => { parameter: string; axis: number };
}

export const GPT_LAYOUT: Layout = {
  name: 'buildGpt', heads: GPT.heads, headDim: GPT.dim / GPT.heads, mlpWidth: 4 * GPT.dim,
  outProjection: (i) => ({ parameter: `blocks.${i}.attn.out.weight`, axis: 0 }),
  fc2: (i) => ({ parameter: `blocks.${i}.mlp.fc2.weight`, axis: 0 }),
};

export const GPT_TINY_LAYOUT: Layout = {
  name: 'gpt_tiny', heads: 4, headDim: 12, mlpWidth: 192,
  outProjection: (i) => ({ parameter: `blocks.${i}.proj.weight`, axis: 1 }),
  fc2: (i) => ({ parameter: `blocks.${i}.out.weight`, axis: 1 }),
};

/** A deep copy of `model` with `edit` applied to the values of one 2-D parameter (row-major [rows, cols]). */
export function editParameter(model: ModelProto, name: string, edit: (values: Float32Array, dims: readonly number[]) => void): ModelProto {
  const copy = decodeModel(encodeModel(model));
  const graph = new Graph(copy.graph!);
  const values = readParameter(graph, name).slice();
  const tensor = copy.graph!.initializer.find((t) => t.name === name)!;
  edit(values, tensor.dims.map(Number));
  writeParameter(graph, name, values);
  return copy;
}

/** Zero the elements whose index along `axis` of a 2-D parameter is in `indices`. */
export function zeroAlong(model: ModelProto, name: string, axis: number, indices: readonly number[]): ModelProto {
  const set = new Set(indices);
  return editParameter(model, name, (values, [, cols]) => {
    for (let i = 0; i < values.length; i++) {
      const index = axis === 0 ? Math.floor(i / cols!) : i % cols!;
      if (set.has(index)) values[i] = 0;
    }
  });
}

/** Indices h·D … (h+1)·D − 1 of every head h in `heads`. */
export const headUnits = (heads: readonly number[], headDim: number): number[] => heads.flatMap((h) => Array.from({ length: headDim }, (_, j) => h * headDim + j));

export const removed = (kept: readonly number[], total: number): number[] => [...Array(total).keys()].filter((i) => !kept.includes(i));

/** Token ids in [0, vocab) for a model's input at `batch` x `seq` (the fixture's seq is fixed). */
export function tokenFeeds(model: ModelProto, batch: number, seq: number, vocab: number, seed = 3): Feeds {
  const input = new Graph(model.graph!).dataInputs[0]!;
  const fixed = Number(input.type?.tensorType?.shape?.dim[1]?.dimValue ?? 0);
  return sampleFeeds(model, resolveInputShapes(model, { [input.name]: [batch, fixed > 0 ? fixed : seq] }), seed, vocab);
}
