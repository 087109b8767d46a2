/**
 * The term API (level 2 of three, torchdistill-style): a distillation term reads student values of
 * the training graph and declared teacher values, and builds one unweighted scalar. Level 1 is the
 * primitive losses in primitives.ts (pure graph functions of value names); level 3 is the weighted
 * sum of named terms in objective.ts.
 */
import type { GraphBuilder } from '../../autodiff/builder.js';
import type { Rng } from '../../util/random.js';
import type { ScalarSchedule } from './schedule.js';

/** The teacher's first output (its logits), as a teacher value reference. */
export const TEACHER_OUTPUT = '@output';

/** What a term may ask of the training graph it extends. */
export interface TermContext {
  readonly b: GraphBuilder;
  /** Static dims of a student value (any ONNX value name of the student) at the training batch size. */
  shape(value: string): readonly number[];
  /** The student's first output (its logits). */
  readonly studentOutput: string;
  /**
   * The graph input holding teacher value `value` (an ONNX value name of the teacher, or
   * TEACHER_OUTPUT) for this batch. It must be listed in the term's `teacherValues`; no gradient
   * flows into it.
   */
  teacher(value: string): string;
  /** Static dims of a teacher value at the training batch size. */
  teacherShape(value: string): readonly number[];
  /** The int64 class-label input, [N] or [N, T]. */
  labels(): string;
  /**
   * A scalar: a constant when `schedule` is a number, else a graph input fed each step with
   * schedule(step) (like the learning rate), so a resumed run sees the same values. `name` is
   * unique within the term.
   */
  scalar(name: string, schedule: ScalarSchedule): string;
  /**
   * A new trainable parameter of the training graph only (a FitNets regressor): trained with the
   * student, carried in checkpoints, dropped at export. `name` is unique within the term.
   */
  parameter(name: string, dims: readonly number[], initial: Float32Array): string;
  /** Seeded randomness for parameter initialisation (derived from the run's seed and the term's name). */
  readonly rng: Rng;
  /** Report a non-differentiable scalar per batch as metric `NAME` (prefixed with the term's name). */
  metric(name: string, value: string): void;
}

/** One distillation term: data describing it, and how to build it. */
export interface DistillTerm {
  /** The method's key in the term registry, e.g. 'kd', 'fitnet', 'at', 'rkd'. */
  readonly kind: string;
  /** Teacher values it reads (ONNX value names in the teacher, or TEACHER_OUTPUT). */
  readonly teacherValues: readonly string[];
  /** Whether it reads the class labels. */
  readonly readsLabels?: boolean;
  /** Student values the term's gradient enters the student through (FitNets stage 1 trains only what feeds them). */
  readonly studentValues?: readonly string[];
  /**
   * A FitNets hint: in the two-stage schedule (Romero et al. 2015) hint terms train alone first,
   * updating only the student parameters that feed `studentValues` (and the term's own regressor).
   */
  readonly hint?: boolean;
  /** The typed options, for reports and config hashes (JSON). */
  readonly options: object;
  /** The unweighted scalar loss value. */
  build(ctx: TermContext): string;
}

/** A term with its name in the sum and its weight (a number, or a schedule of the step). */
export interface WeightedTerm {
  /** Unique in the objective; metrics are `NAME` (the weighted value) and `NAME:...`. */
  name: string;
  weight: ScalarSchedule;
  term: DistillTerm;
}
