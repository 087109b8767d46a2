/**
 * The surgery pass: given, per group, the channels to keep, remove every other channel's elements
 * from every parameter slice of the group (filter rows, next-layer input columns, biases, BatchNorm
 * vectors), set channel-count attributes, and forget declared shapes of the values that shrank.
 * The result is a smaller ONNX model that plain ORT runs; nothing is masked.
 */
import { cloneForEditing } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import { listParameters } from '../../onnx/parameters.js';
import { newAttribute, type ModelProto } from '../../onnx/proto.js';
import { makeTensor, readFloat32, tensorDims } from '../../onnx/tensor.js';
import { RetortError } from '../../util/errors.js';
import type { ChannelGroup } from './dependencies.js';

export interface ChannelDecision {
  group: ChannelGroup;
  /** Channel indices to keep, ascending. */
  keep: readonly number[];
}

/** `data` with dims `dims`, keeping only the listed indices along `axis`. */
export function keepAlongAxis(data: Float32Array, dims: readonly number[], axis: number, keep: readonly number[]): { data: Float32Array; dims: number[] } {
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = dims[axis]!;
  const out = new Float32Array(outer * keep.length * inner);
  let o = 0;
  for (let i = 0; i < outer; i++) {
    for (const k of keep) {
      const from = (i * size + k) * inner;
      out.set(data.subarray(from, from + inner), o);
      o += inner;
    }
  }
  const newDims = [...dims];
  newDims[axis] = keep.length;
  return { data: out, dims: newDims };
}

/** A copy of `model` with the channels not kept removed. */
export function removeChannels(model: ModelProto, decisions: readonly ChannelDecision[]): ModelProto {
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  // parameter -> axis -> removed element indices (in the original layout)
  const removed = new Map<string, Map<number, Set<number>>>();
  const shrunk = new Set<string>();
  for (const { group, keep } of decisions) {
    if (group.blocked) throw new RetortError('BAD_ARGUMENT', `Channel group of "${group.source}" cannot be pruned: ${group.blocked}`);
    const kept = new Set(keep);
    if (keep.length === 0 || keep.some((k) => !(Number.isInteger(k) && k >= 0 && k < group.channels))) {
      throw new RetortError('BAD_ARGUMENT', `Channel group of "${group.source}": keep 1 to ${group.channels} channels with indices in [0, ${group.channels}), got [${keep.join(',')}]`);
    }
    if (kept.size === group.channels) continue;
    for (const slice of group.slices) {
      const axes = removed.get(slice.parameter) ?? new Map<number, Set<number>>();
      const set = axes.get(slice.axis) ?? new Set<number>();
      for (let c = 0; c < group.channels; c++) {
        if (kept.has(c)) continue;
        for (let j = 0; j < slice.block; j++) set.add(slice.offset + c * slice.block + j);
      }
      axes.set(slice.axis, set);
      removed.set(slice.parameter, axes);
    }
    for (const slot of group.slots) shrunk.add(slot.value);
    for (const { node: name, attribute } of group.channelCountAttributes) {
      const node = graph.nodes.find((n) => n.name === name)!;
      node.attribute = [...node.attribute.filter((a) => a.name !== attribute), newAttribute({ name: attribute, type: 2, i: keep.length })];
    }
  }
  for (const parameter of listParameters(graph)) {
    const axes = removed.get(parameter.name);
    if (!axes) continue;
    let data = readFloat32(parameter.tensor);
    let dims = tensorDims(parameter.tensor);
    for (const [axis, drop] of axes) {
      const keep = [...Array(dims[axis]).keys()].filter((i) => !drop.has(i));
      ({ data, dims } = keepAlongAxis(data, dims, axis, keep));
    }
    const tensor = makeTensor(parameter.tensor.name, dims, data);
    if (parameter.storage === 'initializer') {
      copy.graph!.initializer = copy.graph!.initializer.map((t) => (t.name === parameter.name ? tensor : t));
    } else {
      const node = parameter.node!;
      node.attribute = node.attribute.map((a) => (a.name === 'value' ? { ...a, t: tensor } : a));
    }
  }
  copy.graph!.valueInfo = copy.graph!.valueInfo.filter((v) => !shrunk.has(v.name));
  graph.touch();
  // A clean decode: edited copies hold spread protobuf messages whose defaults live on prototypes.
  return decodeModel(encodeModel(copy));
}
