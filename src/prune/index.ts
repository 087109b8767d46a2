/** Unstructured and N:M pruning: importance scorers, masks, masked training and schedules. */
export * from './importance/index.js';
export * from './prunableOps.js';
export * from './layers.js';
export * from './masks.js';
export * from './applyMasks.js';
/** Part of this barrel before it moved to train/export.ts (applyMasks writes through it). */
export { withParameterValues } from '../train/export.js';
export * from './sparsity.js';
export * from './activationNorms.js';
export * from './sequential.js';
export * from './layerError.js';
export * from './evidence.js';
export * from './prune.js';
export * from './maskedTraining.js';
export * from './schedules/oneshot.js';
export * from './schedules/iterative.js';
export * from './schedules/agp.js';
export * from './schedules/lottery.js';
export * from './maskCheckpoint.js';
export * from './plan.js';
