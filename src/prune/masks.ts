/**
 * Mask selection: from scores to 0/1 masks (1 keeps a weight). Unstructured masks prune the lowest
 * scores to a target sparsity within each layer, across all layers, or within each output row, or
 * below a score threshold (Han et al. 2015's quality parameter); N:M semi-structured masks keep the N
 * highest of every M consecutive weights along the inputs of each output unit (2:4, as NVIDIA's
 * sparse tensor cores run; Mishra et al. 2021). Weights an earlier mask pruned stay pruned.
 */
import { RetortError } from '../util/errors.js';
import type { PruningScope } from './importance/scorer.js';
import type { PrunableLayer } from './layers.js';

export type MaskSelection =
  /**
   * `perLayer`: sparsities of named layers (weight or node name) that override `sparsity` for them,
   * as Han et al. 2015/2016 prune each layer to its own sensitivity; layer or row scope only.
   */
  | { pattern: 'unstructured'; sparsity: number; scope: PruningScope; perLayer?: Readonly<Record<string, number>> }
  | { pattern: 'unstructured'; threshold: number }
  | { pattern: 'n:m'; n: number; m: number };

export type Masks = Map<string, Float32Array>;

export interface SelectedMasks {
  masks: Masks;
  /** Layers left dense because the pattern does not fit them (N:M with columns not a multiple of M). */
  skipped: { layer: string; reason: string }[];
}

/** Prune the `count` lowest of `scores[indices[i]]`; ties go in index order, so the count is exact. */
function pruneLowest(scores: Float32Array, mask: Float32Array, indices: ArrayLike<number>, count: number): void {
  if (count <= 0) return;
  const values = Float32Array.from({ length: indices.length }, (_, i) => scores[indices[i]!]!);
  const sorted = Float32Array.from(values).sort();
  const threshold = sorted[Math.min(count, sorted.length) - 1]!;
  let below = 0;
  for (const v of values) if (v < threshold) below++;
  let ties = count - below;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < threshold) mask[indices[i]!] = 0;
    else if (values[i] === threshold && ties > 0) {
      mask[indices[i]!] = 0;
      ties--;
    }
  }
}

const range = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

function checkSparsity(sparsity: number): void {
  if (!(sparsity >= 0 && sparsity <= 1)) throw new RetortError('BAD_ARGUMENT', `Sparsity must be in [0, 1], got ${sparsity}`);
}

/** Each layer's sparsity: its own from `perLayer` (by weight or node name), else `sparsity`; unknown names are errors listing the layers. */
export function layerSparsities(layers: readonly PrunableLayer[], sparsity: number, perLayer: Readonly<Record<string, number>> = {}): Map<string, number> {
  const known = new Set(layers.flatMap((l) => [l.name, l.node]));
  const unknown = Object.keys(perLayer).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RetortError('BAD_ARGUMENT', `Per-layer sparsity for ${unknown.map((n) => `"${n}"`).join(', ')}: no such prunable layer; layers (weight / node): ${layers.map((l) => `${l.name} / ${l.node}`).join(', ')}`);
  }
  return new Map(
    layers.map((l) => {
      if (l.name !== l.node && Object.hasOwn(perLayer, l.name) && Object.hasOwn(perLayer, l.node)) {
        throw new RetortError('BAD_ARGUMENT', `Per-layer sparsity: layer ${l.name} is named twice (as ${l.name} and as its node ${l.node}); give one`);
      }
      const named = [l.name, l.node].find((n) => Object.hasOwn(perLayer, n));
      const value = named === undefined ? sparsity : perLayer[named]!;
      checkSparsity(value);
      return [l.name, value];
    }),
  );
}

export function selectMasks(
  layers: readonly PrunableLayer[],
  scores: ReadonlyMap<string, Float32Array>,
  selection: MaskSelection,
  previous?: ReadonlyMap<string, Float32Array>,
): SelectedMasks {
  // Earlier prunes score -Infinity: they are the first chosen and count toward the target.
  const effective = new Map(
    layers.map((l) => {
      const s = Float32Array.from(scores.get(l.name)!, (v) => (Number.isNaN(v) ? -Infinity : v));
      const before = previous?.get(l.name);
      if (before) for (let i = 0; i < s.length; i++) if (before[i] === 0) s[i] = -Infinity;
      return [l.name, s];
    }),
  );
  const masks: Masks = new Map(layers.map((l) => [l.name, new Float32Array(l.order.length).fill(1)]));
  const skipped: SelectedMasks['skipped'] = [];
  if (selection.pattern === 'n:m') {
    const { n, m } = selection;
    if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 0 && n < m)) throw new RetortError('BAD_ARGUMENT', `N:M pattern needs whole numbers 0 <= N < M, got ${n}:${m}`);
    for (const layer of layers) {
      if (layer.cols % m !== 0) {
        skipped.push({ layer: layer.name, reason: `${layer.cols} inputs per output unit, not a multiple of ${m}` });
        const before = previous?.get(layer.name);
        if (before) masks.set(layer.name, Float32Array.from(before));
        continue;
      }
      const s = effective.get(layer.name)!;
      const mask = masks.get(layer.name)!;
      for (let start = 0; start < layer.order.length; start += m) pruneLowest(s, mask, layer.order.subarray(start, start + m), m - n);
    }
    return { masks, skipped };
  }
  if ('threshold' in selection) {
    for (const layer of layers) {
      const s = effective.get(layer.name)!;
      const mask = masks.get(layer.name)!;
      for (let i = 0; i < s.length; i++) if (!(s[i]! >= selection.threshold)) mask[i] = 0;
    }
    return { masks, skipped };
  }
  const { sparsity, scope, perLayer } = selection;
  checkSparsity(sparsity);
  if (scope === 'global' && perLayer !== undefined && Object.keys(perLayer).length > 0) {
    throw new RetortError('BAD_ARGUMENT', 'Per-layer sparsities prune each layer to its own target: use the layer or row scope, not global');
  }
  if (scope === 'global') {
    // One pool of all weights: flat positions across layers, concatenated in layer order.
    const offsets = layers.map((_, i) => layers.slice(0, i).reduce((n, l) => n + l.order.length, 0));
    const total = layers.reduce((n, l) => n + l.order.length, 0);
    const all = new Float32Array(total);
    layers.forEach((l, i) => all.set(effective.get(l.name)!, offsets[i]!));
    const pooled = new Float32Array(total).fill(1);
    pruneLowest(all, pooled, range(total), Math.round(sparsity * total));
    layers.forEach((l, i) => masks.set(l.name, pooled.slice(offsets[i]!, offsets[i]! + l.order.length)));
    return { masks, skipped };
  }
  const targets = layerSparsities(layers, sparsity, perLayer);
  for (const layer of layers) {
    const s = effective.get(layer.name)!;
    const mask = masks.get(layer.name)!;
    const target = targets.get(layer.name)!;
    if (scope === 'layer') pruneLowest(s, mask, range(s.length), Math.round(target * s.length));
    else for (let r = 0; r < layer.rows; r++) pruneLowest(s, mask, layer.order.subarray(r * layer.cols, (r + 1) * layer.cols), Math.round(target * layer.cols));
  }
  return { masks, skipped };
}
