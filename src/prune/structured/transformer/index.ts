/** Structured pruning of transformers: attention heads, MLP width and whole layers, found by graph pattern. */
export * from './attention.js';
export * from './layers.js';
export * from './heads.js';
export * from './importance.js';
export * from './calibration.js';
export * from './prune.js';
