/**
 * Learning-rate schedules as pure functions of the step index (0 for the first update). The
 * training graph takes the rate as an input, so a schedule is evaluated in JavaScript once per step
 * and a resumed run gets the same rates as an uninterrupted one.
 */
import { RetortError } from '../util/errors.js';

export type ScheduleSpec =
  | { kind: 'constant'; lr: number }
  /** lr * gamma^floor(step / stepSize), PyTorch's StepLR counted in steps. */
  | { kind: 'step'; lr: number; stepSize: number; gamma: number }
  /** Linear from lr * startFactor to lr over warmupSteps, then constant. */
  | { kind: 'linearWarmup'; lr: number; warmupSteps: number; startFactor?: number }
  /**
   * Cosine annealing to minLr over totalSteps (Loshchilov & Hutter 2017, SGDR without restarts),
   * after an optional linear warmup from 0 (Goyal et al. 2017).
   */
  | { kind: 'cosine'; lr: number; totalSteps: number; minLr?: number; warmupSteps?: number };

export type Schedule = (step: number) => number;

function check(condition: boolean, message: string): void {
  if (!condition) throw new RetortError('BAD_ARGUMENT', `Schedule: ${message}`);
}

export function makeSchedule(spec: ScheduleSpec): Schedule {
  check(spec.lr > 0 && Number.isFinite(spec.lr), `lr must be a positive number, got ${spec.lr}`);
  switch (spec.kind) {
    case 'constant':
      return () => spec.lr;
    case 'step': {
      check(Number.isInteger(spec.stepSize) && spec.stepSize > 0, `stepSize must be a positive integer, got ${spec.stepSize}`);
      check(spec.gamma > 0, `gamma must be > 0, got ${spec.gamma}`);
      return (step) => spec.lr * spec.gamma ** Math.floor(step / spec.stepSize);
    }
    case 'linearWarmup': {
      const { warmupSteps, startFactor = 0 } = spec;
      check(Number.isInteger(warmupSteps) && warmupSteps >= 0, `warmupSteps must be an integer >= 0, got ${warmupSteps}`);
      return (step) => (step >= warmupSteps ? spec.lr : spec.lr * (startFactor + ((1 - startFactor) * step) / warmupSteps));
    }
    case 'cosine': {
      const { totalSteps, minLr = 0, warmupSteps = 0 } = spec;
      check(Number.isInteger(totalSteps) && totalSteps > 0, `totalSteps must be a positive integer, got ${totalSteps}`);
      check(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps < totalSteps, `warmupSteps must be in [0, totalSteps), got ${warmupSteps}`);
      return (step) => {
        if (step < warmupSteps) return (spec.lr * (step + 1)) / warmupSteps;
        const progress = Math.min(1, (step - warmupSteps) / (totalSteps - warmupSteps));
        return minLr + ((spec.lr - minLr) * (1 + Math.cos(Math.PI * progress))) / 2;
      };
    }
    default:
      throw new RetortError('BAD_ARGUMENT', `Unknown schedule "${(spec as { kind: string }).kind}". Should be one of: constant, step, linearWarmup, cosine`);
  }
}
