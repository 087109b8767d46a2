export * from './session.js';
export * from './tensors.js';
export * from './timing.js';
export * from './shapeInference.js';
