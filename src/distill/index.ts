export * from './hintonLoss.js';
export * from './teacherSignals.js';
export * from './distill.js';
export * from './omitClass.js';
export * from './biasCorrection.js';
