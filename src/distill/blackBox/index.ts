export * from './teacherOutputs.js';
export * from './softTargets.js';
export * from './teacherCommand.js';
export * from './blackBoxDistill.js';
export * from './simulate.js';
