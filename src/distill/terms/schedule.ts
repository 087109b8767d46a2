/**
 * Schedules of a scalar (temperature, alpha, a term's weight) as pure functions of the step index
 * (0 for the first update). Non-constant ones are fed to the training graph as scalar inputs each
 * step, as the learning rate is, so resuming from a checkpoint reproduces them exactly.
 */
import { RetortError } from '../../util/errors.js';

export type ScalarSchedule =
  | number
  /** Linear from `from` at step 0 to `to` at `steps`, then constant. */
  | { kind: 'linear'; from: number; to: number; steps: number }
  /** Half-cosine from `from` at step 0 to `to` at `steps`, then constant. */
  | { kind: 'cosine'; from: number; to: number; steps: number }
  /** values[i] from step boundaries[i-1] (inclusive) on; values has one more entry than boundaries. */
  | { kind: 'piecewise'; boundaries: number[]; values: number[] };

export function isConstant(schedule: ScalarSchedule): schedule is number {
  return typeof schedule === 'number';
}

export function checkSchedule(schedule: ScalarSchedule, what: string): void {
  const bad = (message: string) => new RetortError('BAD_ARGUMENT', `${what}: ${message}`);
  if (typeof schedule === 'number') {
    if (!Number.isFinite(schedule)) throw bad(`must be a finite number, got ${schedule}`);
    return;
  }
  switch (schedule.kind) {
    case 'linear':
    case 'cosine':
      if (![schedule.from, schedule.to].every(Number.isFinite)) throw bad(`from and to must be finite, got ${schedule.from}, ${schedule.to}`);
      if (!(Number.isInteger(schedule.steps) && schedule.steps > 0)) throw bad(`steps must be a positive integer, got ${schedule.steps}`);
      return;
    case 'piecewise':
      if (schedule.values.length !== schedule.boundaries.length + 1) throw bad(`piecewise needs one more value than boundaries, got ${schedule.values.length} values and ${schedule.boundaries.length} boundaries`);
      if (schedule.boundaries.some((x, i) => !Number.isInteger(x) || (i > 0 && x <= schedule.boundaries[i - 1]!))) throw bad('boundaries must be increasing integers');
      return;
    default:
      throw bad(`unknown schedule "${(schedule as { kind: string }).kind}". Should be one of: a number, linear, cosine, piecewise`);
  }
}

/** The value at `step` (0-based). */
export function scheduleValue(schedule: ScalarSchedule, step: number): number {
  if (typeof schedule === 'number') return schedule;
  switch (schedule.kind) {
    case 'linear':
      return schedule.from + (schedule.to - schedule.from) * Math.min(1, step / schedule.steps);
    case 'cosine':
      return schedule.to + ((schedule.from - schedule.to) * (1 + Math.cos(Math.PI * Math.min(1, step / schedule.steps)))) / 2;
    case 'piecewise': {
      const index = schedule.boundaries.findIndex((b) => step < b);
      return schedule.values[index === -1 ? schedule.boundaries.length : index]!;
    }
  }
}

/** Every value a schedule takes (its range), for validation: e.g. a temperature must stay positive. */
export function scheduleBounds(schedule: ScalarSchedule): { min: number; max: number } {
  if (typeof schedule === 'number') return { min: schedule, max: schedule };
  const values = schedule.kind === 'piecewise' ? schedule.values : [schedule.from, schedule.to];
  return { min: Math.min(...values), max: Math.max(...values) };
}
