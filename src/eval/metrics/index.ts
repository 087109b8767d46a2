/** Task metrics from class probabilities or logits and labels. */
export * from './predictions.js';
export * from './classification.js';
export * from './scoring.js';
export * from './calibration.js';
export * from './summary.js';
