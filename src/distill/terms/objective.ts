/**
 * Level 3: the distillation objective, a weighted sum of named terms, as one training-graph loss
 * (a `subgraph` LossSpec). It owns the naming of everything the terms add to the graph:
 *   teacher values   → inputs `teacher_logits` (the teacher's first output) and `teacher:VALUE`
 *   scheduled scalars → inputs `schedule:TERM:NAME`, fed each step with schedule(step)
 *   term parameters  → initializers `distill:TERM:NAME`, trained, dropped at export
 *   metrics          → `TERM` (the unweighted term value) and `TERM:NAME`, plus `correct`
 */
import { DataType } from '../../onnx/dtype.js';
import { newValueInfo, type ValueInfoProto } from '../../onnx/proto.js';
import { makeTensor } from '../../onnx/tensor.js';
import type { Feeds } from '../../runtime/session.js';
import { scalarFloat } from '../../runtime/tensors.js';
import { correctCount, LABELS_INPUT, type LossContext, type LossSpec, type LossTerm } from '../../train/losses.js';
import type { BatchView, ExtraFeeds } from '../../train/trainer.js';
import { RetortError } from '../../util/errors.js';
import { Rng } from '../../util/random.js';
import { checkSchedule, scheduleValue, type ScalarSchedule } from './schedule.js';
import { TEACHER_OUTPUT, type TermContext, type WeightedTerm } from './types.js';

/** The graph input of the teacher's logits (the name hintonLoss has always used). */
export const TEACHER_LOGITS_INPUT = 'teacher_logits';

/** The training-graph input holding a teacher value. */
export function teacherInputName(value: string): string {
  return value === TEACHER_OUTPUT ? TEACHER_LOGITS_INPUT : `teacher:${value}`;
}

export interface ObjectiveOptions {
  /** Seeds term parameters (regressors); each term's stream is derived from it and the term's name. */
  seed: number;
  /** Per-sample dims of every teacher value the terms read (from the teacher session). */
  teacherSampleDims?: ReadonlyMap<string, readonly number[]>;
}

export interface ComposedObjective {
  /** For TrainerConfig.loss. */
  loss: Extract<LossSpec, { kind: 'subgraph' }>;
  /** Every teacher value the terms read, each once. */
  teacherValues: string[];
  /**
   * The loss inputs other than the labels (teacher values, scheduled scalars), for
   * TrainerOptions.extraInputs. Filled when the loss is built, which Trainer.create does before reading it.
   */
  extraInputs: string[];
  /** Scheduled scalars: input name → schedule. Filled when the loss is built. */
  scheduled: Map<string, ScalarSchedule>;
  /** Feeds of the scheduled scalars for a step. */
  scheduleFeeds(step: number): Feeds;
  /** Whether any term reads the teacher. */
  needsTeacher: boolean;
}

/** A term as a run's record (metrics.json) and the checkpoint's config hash state it. */
export interface RecordedTerm {
  name: string;
  weight: unknown;
  kind: string;
  options: object;
}

/** The objective's terms as data: name, weight, kind and typed options of each. */
export function recordedTerms(terms: readonly WeightedTerm[]): RecordedTerm[] {
  return terms.map((t) => ({ name: t.name, weight: t.weight, kind: t.term.kind, options: t.term.options }));
}

/** Checks the terms: unique names, valid weights. All problems at once. */
export function checkTerms(terms: readonly WeightedTerm[]): void {
  const problems: string[] = [];
  if (terms.length === 0) problems.push('the objective has no terms');
  const seen = new Set<string>();
  for (const { name, weight } of terms) {
    if (!/^[A-Za-z][\w.-]*$/.test(name)) problems.push(`term name "${name}" must start with a letter and hold only letters, digits, _ . -`);
    if (seen.has(name)) problems.push(`term name "${name}" is used twice (give one a name=... of its own)`);
    seen.add(name);
    try {
      checkSchedule(weight, `weight of term "${name}"`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (problems.length > 0) throw new RetortError('BAD_ARGUMENT', `Distillation objective: ${problems.join('; ')}`);
}

export function composeObjective(terms: readonly WeightedTerm[], options: ObjectiveOptions): ComposedObjective {
  checkTerms(terms);
  const teacherValues = [...new Set(terms.flatMap((t) => t.term.teacherValues))];
  const extraInputs: string[] = [];
  const scheduled = new Map<string, ScalarSchedule>();

  const build = (ctx: LossContext): LossTerm => {
    const { b } = ctx;
    extraInputs.length = 0;
    scheduled.clear();
    const batchSize = ctx.shape(ctx.modelOutput)[0]!;
    const inputs: ValueInfoProto[] = [tensorInfo(LABELS_INPUT, DataType.INT64, ctx.shape(ctx.modelOutput).slice(0, -1))];
    const declared = new Set<string>();
    const teacherInputs: string[] = [];
    const metrics: Record<string, string> = {};
    const parameters: string[] = [];
    const addInput = (name: string, dims: readonly number[]) => {
      if (declared.has(name)) return;
      declared.add(name);
      inputs.push(tensorInfo(name, DataType.FLOAT, dims));
      extraInputs.push(name);
    };
    const teacherShape = (value: string): number[] => {
      // Without measured dims, the teacher's logits are taken to have the student's logits' shape.
      if (value === TEACHER_OUTPUT && !options.teacherSampleDims?.has(value)) return [...ctx.shape(ctx.modelOutput)];
      const dims = options.teacherSampleDims?.get(value);
      if (!dims) throw new RetortError('UNKNOWN_KEY', `No dims known for teacher value "${value}". Known: ${[...(options.teacherSampleDims?.keys() ?? [])].join(', ') || 'none'}`);
      return [batchSize, ...dims];
    };
    const weighted = terms.map(({ name, weight, term }) => {
      const where = `term "${name}" (${term.kind})`;
      const context: TermContext = {
        b,
        shape: (value) => ctx.shape(value),
        studentOutput: ctx.modelOutput,
        teacher: (value) => {
          if (!term.teacherValues.includes(value)) throw new RetortError('UNKNOWN_KEY', `${where} reads teacher value "${value}" it did not declare (declared: ${term.teacherValues.join(', ') || 'none'})`);
          const input = teacherInputName(value);
          if (!declared.has(input)) teacherInputs.push(input);
          addInput(input, teacherShape(value));
          return input;
        },
        teacherShape,
        labels: () => LABELS_INPUT,
        scalar: (scalarName, schedule) => {
          checkSchedule(schedule, `${where} ${scalarName}`);
          if (typeof schedule === 'number') return b.constFloat(schedule);
          const input = `schedule:${name}:${scalarName}`;
          if (scheduled.has(input)) throw new RetortError('DUPLICATE_KEY', `${where} asks for scalar "${scalarName}" twice`);
          scheduled.set(input, schedule);
          addInput(input, []);
          return input;
        },
        parameter: (parameterName, dims, initial) => {
          const initializer = `distill:${name}:${parameterName}`;
          if (b.graph.initializer(initializer)) throw new RetortError('DUPLICATE_KEY', `${where} creates parameter "${parameterName}" twice`);
          b.graph.addInitializer(makeTensor(initializer, dims, initial));
          parameters.push(initializer);
          return initializer;
        },
        rng: new Rng(termSeed(options.seed, name)),
        metric: (metricName, value) => {
          metrics[`${name}:${metricName}`] = value;
        },
      };
      const value = term.build(context);
      metrics[name] = value;
      if (typeof weight === 'number') return weight === 1 ? value : b.scale(value, weight);
      return b.mul(value, context.scalar('weight', weight));
    });
    const value = weighted.length === 1 ? b.identity(weighted[0]!) : b.sum(weighted);
    const rank = ctx.shape(ctx.modelOutput).length;
    metrics.correct = correctCount(b, ctx.modelOutput, LABELS_INPUT, rank);
    return { value, inputs, stopGradients: teacherInputs, metrics, parameters };
  };

  return {
    loss: { kind: 'subgraph', build },
    teacherValues,
    extraInputs,
    scheduled,
    scheduleFeeds: (step) => Object.fromEntries([...scheduled].map(([input, schedule]) => [input, scalarFloat(scheduleValue(schedule, step))])),
    needsTeacher: teacherValues.length > 0,
  };
}

/** Extra feeds of an objective: its scheduled scalars for the step, plus the teacher's values (if any). */
export function objectiveFeeds(objective: ComposedObjective, teacherFeeds?: ExtraFeeds): ExtraFeeds {
  return async (batch: BatchView): Promise<Feeds> => ({ ...(teacherFeeds ? await teacherFeeds(batch) : {}), ...objective.scheduleFeeds(batch.step) });
}

function tensorInfo(name: string, elemType: number, dims: readonly number[]): ValueInfoProto {
  return newValueInfo({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
}

/** A term's own seed stream: FNV-1a of its name mixed with the run's seed. */
function termSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const char of name) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return hash >>> 0;
}
