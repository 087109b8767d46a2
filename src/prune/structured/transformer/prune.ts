/**
 * Width and depth pruning of transformers, Minitron style (Muralidharan et al. 2024): score heads, MLP
 * neurons and layers once on the original model, then remove the least important heads of every
 * layer, the least important MLP neurons of every layer, and whole layers, physically — the result is
 * a smaller ONNX graph, not a masked one. Minitron prunes width uniformly across layers (the same
 * number of heads and neurons kept in each); a global head fraction, ranked across layers, is offered
 * too. Dropped layers are taken out first; their heads and neurons need no pruning.
 */
import { Graph } from '../../../onnx/graph.js';
import { parameterCount } from '../../../onnx/parameters.js';
import type { ModelProto } from '../../../onnx/proto.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../../../runtime/shapeInference.js';
import { RetortError } from '../../../util/errors.js';
import { removeBranches } from '../blocks.js';
import { removeChannels, type ChannelDecision } from '../surgery.js';
import { removeHeads, type HeadDecision } from './heads.js';
import { layerImportance, type LayerImportance, type TransformerImportance } from './importance.js';
import { findTransformerLayers, type TransformerLayer } from './layers.js';

export type HeadTarget =
  /** The same number of heads kept in every layer. */
  | { kind: 'perLayer'; keep: number }
  /** A fraction of all heads, each layer keeping that fraction of its own (uniform) or ranked across layers (global), at least one per layer. */
  | { kind: 'fraction'; keep: number; scope: 'uniform' | 'global' };

export type LayerTarget =
  /** The `count` layers of lowest importance. */
  | { kind: 'count'; count: number }
  /** These layers (0-based, in the order they run). */
  | { kind: 'indices'; layers: readonly number[] };

export interface TransformerPruneOptions {
  importance: TransformerImportance;
  heads?: HeadTarget;
  /** Fraction of every MLP's hidden units to keep, in (0, 1]. */
  mlpKeep?: number;
  layers?: LayerTarget;
  /** Input shapes for the analysis; declared ones otherwise, symbolic dims = 2. */
  inputShapes?: Record<string, readonly number[]>;
}

export interface LayerReport {
  index: number;
  label: string;
  heads: number;
  headDim: number;
  keptHeads: number[];
  headImportance: number[];
  mlpWidth: number;
  mlpKept: number;
  /** Hidden units kept, ascending, per MLP group (one for a plain MLP). */
  mlpKeptUnits: number[][];
  blockImportance?: number;
  dropped: boolean;
  notDroppable?: string;
}

export interface TransformerPruneResult {
  model: ModelProto;
  parametersBefore: number;
  parametersAfter: number;
  layers: LayerReport[];
}

const byImportance = (scores: ArrayLike<number>): number[] => [...Array(scores.length).keys()].sort((a, b) => scores[b]! - scores[a]! || a - b);
const ascending = (list: number[]): number[] => list.sort((a, b) => a - b);

function checkFraction(name: string, x: number): void {
  if (!(x > 0 && x <= 1)) throw new RetortError('BAD_ARGUMENT', `${name} ${x}: expected a fraction in (0, 1]`);
}

/** The heads each live layer keeps, by layer index. */
function chooseHeads(layers: readonly TransformerLayer[], scores: readonly LayerImportance[], target: HeadTarget | undefined): Map<number, number[]> {
  const ranked = (l: TransformerLayer): number[] => byImportance(scores[l.index]!.heads);
  const each = (keep: (l: TransformerLayer) => number): Map<number, number[]> => new Map(layers.map((l) => [l.index, ascending(ranked(l).slice(0, keep(l)))]));
  if (!target) return each((l) => l.attention.heads);
  if (target.kind === 'perLayer') {
    if (!Number.isInteger(target.keep) || target.keep < 1) throw new RetortError('BAD_ARGUMENT', `Heads to keep per layer: ${target.keep}; expected a positive integer`);
    const short = layers.find((l) => target.keep > l.attention.heads);
    if (short) throw new RetortError('BAD_ARGUMENT', `Heads to keep per layer: ${target.keep}, but ${short.label} has ${short.attention.heads}`);
    return each(() => target.keep);
  }
  checkFraction('Heads to keep (fraction)', target.keep);
  if (target.scope === 'uniform') return each((l) => Math.max(1, Math.round(l.attention.heads * target.keep)));
  // Global: each layer's best head, then the best of the rest across layers.
  const total = Math.max(layers.length, Math.round(layers.reduce((s, l) => s + l.attention.heads, 0) * target.keep));
  const kept = new Map(layers.map((l) => [l.index, ranked(l).slice(0, 1)]));
  const rest = layers.flatMap((l) => ranked(l).slice(1).map((head) => ({ layer: l.index, head, score: scores[l.index]!.heads[head]! })));
  rest.sort((a, b) => b.score - a.score || a.layer - b.layer || a.head - b.head);
  for (const { layer, head } of rest.slice(0, total - layers.length)) kept.get(layer)!.push(head);
  for (const list of kept.values()) ascending(list);
  return kept;
}

function chooseDropped(layers: readonly TransformerLayer[], scores: readonly LayerImportance[], target: LayerTarget | undefined): Set<number> {
  if (!target) return new Set();
  const droppable = layers.filter((l) => l.residual);
  if (target.kind === 'indices') {
    for (const i of target.layers) {
      const layer = layers[i];
      if (!layer) throw new RetortError('BAD_ARGUMENT', `Layer ${i} to drop: the model has layers 0 to ${layers.length - 1}`);
      if (!layer.residual) throw new RetortError('BAD_ARGUMENT', `Layer ${i} (${layer.label}) cannot be dropped: ${layer.notDroppable}`);
    }
    if (new Set(target.layers).size >= layers.length) throw new RetortError('BAD_ARGUMENT', `Dropping layers ${target.layers.join(', ')} leaves none of ${layers.length}`);
    return new Set(target.layers);
  }
  if (!Number.isInteger(target.count) || target.count < 0 || target.count >= layers.length || target.count > droppable.length) {
    const why = layers.find((l) => !l.residual);
    throw new RetortError('BAD_ARGUMENT', `Layers to drop: ${target.count}; expected an integer from 0 to ${Math.min(layers.length - 1, droppable.length)} (${droppable.length} of ${layers.length} layers can be dropped${why ? `; ${why.label}: ${why.notDroppable}` : ''})`);
  }
  return new Set(droppable.sort((a, b) => scores[a.index]!.block! - scores[b.index]!.block! || b.index - a.index).slice(0, target.count).map((l) => l.index));
}

export async function pruneTransformer(model: ModelProto, options: TransformerPruneOptions): Promise<TransformerPruneResult> {
  if (options.mlpKeep !== undefined) checkFraction('MLP width to keep', options.mlpKeep);
  const shapes = await inferShapes(model, sampleFeeds(model, resolveInputShapes(model, options.inputShapes ?? {}, 2)));
  const layers = findTransformerLayers(model, shapes);
  if (options.mlpKeep !== undefined && options.mlpKeep < 1) {
    const missing = layers.find((l) => l.mlp.length === 0);
    if (missing) throw new RetortError('GRAPH_INVALID', `${missing.label}: no prunable MLP hidden units found (no residual branch after its attention holding a MatMul -> activation -> MatMul chain)`);
  }
  const scores = await layerImportance(model, layers, shapes, options.importance);
  const dropped = chooseDropped(layers, scores, options.layers);
  const keepMlp = (units: ArrayLike<number>): number[] => {
    const keep = options.mlpKeep ?? 1;
    return ascending(byImportance(units).slice(0, Math.max(1, Math.round(units.length * keep))));
  };
  const mlpKept = scores.map((s) => s.mlp.map(keepMlp));
  const live = layers.filter((l) => !dropped.has(l.index));
  const keptHeads = chooseHeads(live, scores, options.heads);

  const headDecisions: HeadDecision[] = live.map((l) => ({ attention: l.attention, keep: keptHeads.get(l.index)! }));
  const mlpDecisions: ChannelDecision[] = live.flatMap((l) => l.mlp.map((m, g) => ({ group: m.group, keep: mlpKept[l.index]![g]! })));
  let pruned = removeHeads(model, headDecisions);
  if (mlpDecisions.some((d) => d.keep.length < d.group.channels)) pruned = removeChannels(pruned, mlpDecisions);
  if (dropped.size > 0) {
    // Last layer first, MLP before attention: each removal renames the uses of a sum to its shortcut,
    // and the later branch's shortcut is the earlier branch's sum.
    const order = [...dropped].sort((a, b) => b - a).flatMap((i) => [layers[i]!.mlpBranch!, layers[i]!.attentionBranch!]);
    pruned = removeBranches(pruned, order);
  }
  return {
    model: pruned,
    parametersBefore: parameterCount(new Graph(model.graph!)),
    parametersAfter: parameterCount(new Graph(pruned.graph!)),
    layers: layers.map((l, i) => ({
      index: l.index,
      label: l.label,
      heads: l.attention.heads,
      headDim: l.attention.headDim,
      keptHeads: keptHeads.get(i) ?? [],
      headImportance: Array.from(scores[i]!.heads),
      mlpWidth: l.mlp.reduce((s, m) => s + m.group.channels, 0),
      mlpKept: dropped.has(i) ? 0 : mlpKept[i]!.reduce((s, k) => s + k.length, 0),
      mlpKeptUnits: dropped.has(i) ? [] : mlpKept[i]!,
      blockImportance: scores[i]!.block,
      dropped: dropped.has(i),
      notDroppable: l.notDroppable,
    })),
  };
}
