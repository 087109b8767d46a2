/** The joint prune + quantize + distill flow (JPQD) and the distillation opener compositions use. */
export * from './flow.js';
export * from './distillingTrainer.js';
