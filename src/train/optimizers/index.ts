/**
 * Optimizers as data: a typed spec picks the update rule; `appendUpdates` emits, after the
 * backward pass, optional global-norm clipping, one update per parameter and optional max-norm
 * constraints, all as ONNX nodes of the training graph.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';
import { RetortError } from '../../util/errors.js';
import { adam, type AdamOptions } from './adam.js';
import { clipByGlobalNorm } from './clipping.js';
import { applyMaxNorm, type MaxNormConstraint } from './maxNorm.js';
import type { Optimizer } from './optimizer.js';
import { sgd, type SgdOptions } from './sgd.js';

export type { MaxNormConstraint } from './maxNorm.js';
export type { Optimizer, ParameterUpdate, ParameterUpdater } from './optimizer.js';
export { adam, type AdamOptions } from './adam.js';
export { sgd, type SgdOptions } from './sgd.js';
export { clipByGlobalNorm, globalNorm } from './clipping.js';
export { applyMaxNorm } from './maxNorm.js';

export type OptimizerSpec = SgdOptions | AdamOptions;
export const OPTIMIZER_KINDS = ['sgd', 'adam', 'adamw'] as const;

export function makeOptimizer(spec: OptimizerSpec): Optimizer {
  switch (spec.kind) {
    case 'sgd':
      return sgd(spec);
    case 'adam':
    case 'adamw':
      return adam(spec);
    default:
      throw new RetortError('BAD_ARGUMENT', `Unknown optimizer "${(spec as { kind: string }).kind}". Should be one of: ${OPTIMIZER_KINDS.join(', ')}`);
  }
}

export interface UpdateOptions {
  optimizer: OptimizerSpec;
  /** Clip all gradients together to this global L2 norm. */
  clipGlobalNorm?: number;
  /** Per-parameter max-norm constraints, applied after the update; the first matching wins. */
  maxNorm?: readonly MaxNormConstraint[];
}

export interface UpdatedParameter {
  name: string;
  value: string;
  gradient: string;
  dims: readonly number[];
}

export interface UpdateNodes {
  /** New value per parameter name. */
  parameters: Map<string, string>;
  /** New state values per parameter name, in `stateNames` order. */
  state: Map<string, string[]>;
  stateNames: readonly string[];
  /** Global gradient norm before clipping, when computed. */
  gradientNorm?: string;
}

/** `stateValue(parameter, stateName)` names the current value of one state tensor (a graph input). */
export function appendUpdates(
  b: GraphBuilder,
  parameters: readonly UpdatedParameter[],
  stateValue: (parameter: string, stateName: string) => string,
  lr: string,
  step: string,
  options: UpdateOptions,
): UpdateNodes {
  const optimizer = makeOptimizer(options.optimizer);
  let gradients = parameters.map((p) => p.gradient);
  let gradientNorm: string | undefined;
  if (options.clipGlobalNorm !== undefined) {
    if (!(options.clipGlobalNorm > 0)) throw new RetortError('BAD_ARGUMENT', `clipGlobalNorm must be > 0, got ${options.clipGlobalNorm}`);
    const clipped = clipByGlobalNorm(b, gradients, options.clipGlobalNorm);
    gradients = clipped.gradients;
    gradientNorm = clipped.norm;
  }
  const constraints = (options.maxNorm ?? []).map((c) => {
    if (!(c.maxNorm > 0)) throw new RetortError('BAD_ARGUMENT', `Max-norm for /${c.parameters}/ must be > 0, got ${c.maxNorm}`);
    return { ...c, pattern: new RegExp(c.parameters) };
  });
  const update = optimizer.begin(b, lr, step);
  const result: UpdateNodes = { parameters: new Map(), state: new Map(), stateNames: optimizer.stateNames, gradientNorm };
  parameters.forEach((p, i) => {
    const updated = update(p.value, gradients[i]!, optimizer.stateNames.map((s) => stateValue(p.name, s)));
    const constraint = constraints.find((c) => c.pattern.test(p.name));
    result.parameters.set(p.name, constraint ? applyMaxNorm(b, updated.parameter, p.dims, constraint) : updated.parameter);
    result.state.set(p.name, updated.state);
  });
  return result;
}
