/**
 * The shape of an in-graph optimizer: shared scalar nodes are emitted once per training graph
 * (bias corrections, the learning rate), then one update per parameter. The learning rate and the
 * step are graph inputs, so schedules live outside the graph (schedules.ts) and a resumed run feeds
 * the same values an uninterrupted one would.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';

export interface ParameterUpdate {
  /** New parameter value. */
  parameter: string;
  /** New optimizer state, in the order of `stateNames`. */
  state: string[];
}

export interface ParameterUpdater {
  (parameter: string, gradient: string, state: readonly string[]): ParameterUpdate;
}

export interface Optimizer {
  /** Per-parameter state tensors (parameter-shaped, zero at the start), e.g. ['momentum']. */
  readonly stateNames: readonly string[];
  /**
   * Emit the nodes shared by all parameters and return the per-parameter update. `lr` and `step`
   * are float scalars; `step` counts updates from 1 (PyTorch's state['step'] after increment).
   */
  begin(b: GraphBuilder, lr: string, step: string): ParameterUpdater;
}
