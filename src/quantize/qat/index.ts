/** Quantization-aware training (fake quantization with STE, LSQ) and ternary/binary weights. */
export * from './options.js';
export * from './ranges.js';
export { appendFakeQuant, STRAIGHT_THROUGH, type StraightThrough, type FakeQuantParams } from './fakeQuant.js';
export { StopGradients } from './straightThrough.js';
export { insertFakeQuantization, type FakeQuantModel, type WeightSite, type ActivationSite, type QatTrainerSettings } from './prepare.js';
export { exportQdq, observedRangeParams } from './exportQdq.js';
export * from './ternary.js';
export * from './lowBitExport.js';
export * from './train.js';
