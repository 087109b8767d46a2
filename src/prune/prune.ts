/**
 * One pruning step as a pure transform: score the prunable weights, select masks, fold them into the
 * model (W ⊙ M). `magnitudePrune` is the entry point other methods (Deep Compression) call.
 */
import type { ModelProto } from '../onnx/proto.js';
import { applyMasks } from './applyMasks.js';
import { scoreLayers, type ImportanceSpec, type PruningScope } from './importance/index.js';
import { findPrunableLayers, readLayerWeights, type PrunableLayer } from './layers.js';
import { selectMasks, type Masks, type MaskSelection, type SelectedMasks } from './masks.js';

export interface PruneSpec {
  importance: ImportanceSpec;
  selection: MaskSelection;
  /** Masks of an earlier round: what they pruned stays pruned (and counts toward the target). */
  previous?: ReadonlyMap<string, Float32Array>;
}

export interface PruneResult extends SelectedMasks {
  /** The model with W ⊙ M written in. */
  model: ModelProto;
  layers: PrunableLayer[];
}

export function prune(model: ModelProto, spec: PruneSpec): PruneResult {
  const layers = findPrunableLayers(model);
  const scores = scoreLayers(layers, readLayerWeights(model, layers), spec.importance);
  const selected = selectMasks(layers, scores, spec.selection, spec.previous);
  return { ...selected, model: applyMasks(model, selected.masks), layers };
}

/** Magnitude pruning to a sparsity of the prunable weights, per layer (default) or with one global threshold. */
export function magnitudePrune(model: ModelProto, options: { sparsity: number; scope?: Exclude<PruningScope, 'row'>; previous?: ReadonlyMap<string, Float32Array> }): PruneResult {
  return prune(model, { importance: { method: 'magnitude' }, selection: { pattern: 'unstructured', sparsity: options.sparsity, scope: options.scope ?? 'layer' }, previous: options.previous });
}

/** Masks that keep every weight of every prunable layer (the start of gradual pruning). */
export function denseMasks(layers: readonly PrunableLayer[]): Masks {
  return new Map(layers.map((l) => [l.name, new Float32Array(l.order.length).fill(1)]));
}
