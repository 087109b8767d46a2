export * from './hintonLoss.js';
export * from './teacherSignals.js';
export * from './distill.js';
