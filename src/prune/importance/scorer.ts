/**
 * Importance scorers: one per criterion, registered by name. A scorer turns a layer's weights (and
 * the evidence its criterion needs: activation norms, accumulated movement) into one score per
 * weight, in the weight's own flat layout; mask selection prunes the lowest scores.
 */
import { RetortError } from '../../util/errors.js';
import { Registry } from '../../util/registry.js';
import type { PrunableLayer } from '../layers.js';

/** Where scores are compared: within each layer, across all prunable layers, or within each output row. */
export type PruningScope = 'layer' | 'global' | 'row';

/** The importance criterion with the evidence it reads, by parameter name where per layer. */
export type ImportanceSpec =
  | { method: 'magnitude' }
  | { method: 'han' }
  | { method: 'random'; seed: number }
  | { method: 'wanda'; activationNorms: ReadonlyMap<string, Float32Array> }
  | { method: 'movement'; scores: ReadonlyMap<string, Float32Array> };

export type ImportanceMethod = ImportanceSpec['method'];
export const IMPORTANCE_METHODS: readonly ImportanceMethod[] = ['magnitude', 'han', 'movement', 'wanda', 'random'];

export interface ImportanceScorer<S extends ImportanceSpec = ImportanceSpec> {
  method: S['method'];
  /** The comparison its scores are made for (Wanda's are comparable only within an output row). */
  defaultScope: PruningScope;
  score(layer: PrunableLayer, weights: Float32Array, spec: S, layerIndex: number): Float32Array;
}

export const importanceScorers = new Registry<ImportanceScorer>('importance method');

/** Registers a scorer under its method; the spec it receives always has that method (see `scoreLayers`). */
export function registerScorer<M extends ImportanceMethod>(scorer: ImportanceScorer<Extract<ImportanceSpec, { method: M }>>): void {
  if (!importanceScorers.has(scorer.method)) importanceScorers.register(scorer.method, scorer as unknown as ImportanceScorer);
}

/** Evidence a scorer needs for a layer, or a clear error naming the layer. */
export function evidenceFor(what: string, evidence: ReadonlyMap<string, Float32Array>, layer: PrunableLayer): Float32Array {
  const values = evidence.get(layer.name);
  if (!values) throw new RetortError('BAD_ARGUMENT', `${what}: none given for layer "${layer.name}" (have ${[...evidence.keys()].join(', ') || 'none'})`);
  return values;
}
