export * from './onnx/index.js';
export * from './runtime/index.js';
export * from './util/errors.js';
export * from './util/registry.js';
export * from './eval/inspect.js';
export * from './eval/macs.js';
