/**
 * Distillation for generative (language-model) students: token-level forward/reverse KL on windows
 * of real text (tokenKd.ts, run by distill.ts with the teacher per batch: teacherTokens.ts), the same
 * on the student's own samples (onPolicy.ts), sequence-level KD on the teacher's text (sequenceKd.ts),
 * and students made of a subset of the teacher's layers (student.ts); one run of any of them into a
 * folder, as `retort distill --data text:PATH` and the recipe stage do it (distillationSetup.ts,
 * distillationRun.ts).
 */
export * from './tokenKd.js';
export * from './teacherTokens.js';
export * from './sequencePool.js';
export * from './sequenceKd.js';
export * from './onPolicy.js';
export * from './student.js';
export * from './distillationSetup.js';
export * from './distillationRun.js';
