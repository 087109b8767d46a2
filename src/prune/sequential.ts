/**
 * Sequential calibration for Wanda: layers are pruned in the order the data reaches them, and each
 * layer's input-activation norms are measured on the model with every prunable layer upstream of it
 * already pruned. This is what Wanda's reference code does (it re-runs each block on the calibration
 * set after pruning it, so the next block sees pruned activations; SparseGPT likewise), and it lets a
 * layer's scores account for what the layers before it lost. Measuring every layer on the dense model
 * in one pass (`collectActivationNorms` alone) is the cheaper approximation.
 *
 * Layers at the same depth (the number of prunable layers on the longest path from the graph inputs
 * to the layer's activation) are independent of each other and share one calibration pass: an MLP
 * takes one pass per layer; a transformer block four (q/k/v, the attention output, the two MLP
 * matrices). Only per-layer decisions can be made layer by layer, so the selection must not be
 * global.
 */
import { Graph } from '../onnx/graph.js';
import type { ModelProto } from '../onnx/proto.js';
import { RetortError } from '../util/errors.js';
import { collectActivationNorms, type CalibrationOptions, type TokenCalibrationSet } from './activationNorms.js';
import { applyMasks } from './applyMasks.js';
import { scoreLayers } from './importance/index.js';
import type { Dataset } from '../data/dataset.js';
import { findPrunableLayers, readLayerWeights, type PrunableLayer } from './layers.js';
import { layerSparsities, selectMasks, type Masks, type MaskSelection, type SelectedMasks } from './masks.js';

/** The prunable layers grouped by depth, shallowest first (each group one calibration pass). */
export function layerDepths(model: ModelProto, layers: readonly PrunableLayer[]): PrunableLayer[][] {
  const graph = new Graph(model.graph!);
  const weightsOfNode = new Map<string, Set<string>>();
  for (const l of layers) weightsOfNode.set(l.node, (weightsOfNode.get(l.node) ?? new Set()).add(l.name));
  // ONNX graphs list nodes in topological order, so one sweep finds every value's depth.
  const depth = new Map<string, number>();
  for (const node of graph.nodes) {
    const reads = weightsOfNode.get(node.name);
    const isLayer = reads !== undefined && node.input.some((i) => reads.has(i));
    const d = node.input.reduce((m, v) => Math.max(m, depth.get(v) ?? 0), 0) + (isLayer ? 1 : 0);
    for (const o of node.output) depth.set(o, d);
  }
  const groups = new Map<number, PrunableLayer[]>();
  for (const l of layers) {
    const d = depth.get(l.activation) ?? 0;
    groups.set(d, [...(groups.get(d) ?? []), l]);
  }
  return [...groups.entries()].sort(([a], [b]) => a - b).map(([, g]) => g);
}

/** The part of a selection that concerns `layers` (their per-layer sparsities only). */
function selectionFor(selection: MaskSelection, layers: readonly PrunableLayer[]): MaskSelection {
  if (selection.pattern !== 'unstructured' || !('sparsity' in selection) || selection.perLayer === undefined) return selection;
  const names = new Set(layers.flatMap((l) => [l.name, l.node]));
  return { ...selection, perLayer: Object.fromEntries(Object.entries(selection.perLayer).filter(([name]) => names.has(name))) };
}

/** Wanda one-shot, layer group by layer group; returns the masks and the model with W ⊙ M written in. */
export async function sequentialWandaPrune(model: ModelProto, calibrationSet: Dataset | TokenCalibrationSet, selection: MaskSelection, options: CalibrationOptions = {}): Promise<SelectedMasks & { model: ModelProto }> {
  if (selection.pattern === 'unstructured' && 'scope' in selection && selection.scope === 'global') {
    throw new RetortError('BAD_ARGUMENT', 'Sequential calibration prunes layer by layer; a global threshold compares all layers at once: use the layer or row scope, or one-pass calibration');
  }
  const layers = findPrunableLayers(model);
  // Unknown per-layer names are reported against all layers, before any pass runs.
  if (selection.pattern === 'unstructured' && 'sparsity' in selection) layerSparsities(layers, selection.sparsity, selection.perLayer);
  let current = model;
  const masks: Masks = new Map();
  const skipped: SelectedMasks['skipped'] = [];
  for (const group of layerDepths(model, layers)) {
    const activationNorms = await collectActivationNorms(current, group, calibrationSet, options);
    const scores = scoreLayers(group, readLayerWeights(current, group), { method: 'wanda', activationNorms });
    const selected = selectMasks(group, scores, selectionFor(selection, group));
    current = applyMasks(current, selected.masks);
    for (const [name, mask] of selected.masks) masks.set(name, mask);
    skipped.push(...selected.skipped);
  }
  // In the layers' own order, as a one-pass prune returns them.
  return { model: current, masks: new Map(layers.map((l) => [l.name, masks.get(l.name)!])), skipped };
}
