export * from './coupling.js';
export * from './dependencies.js';
export * from './surgery.js';
export * from './importance.js';
export * from './blocks.js';
export * from './prune.js';
export { couplingRules } from './rules/registerAll.js';
export * from './calibration.js';
export * from './transformer/index.js';
