/**
 * Deep Mutual Learning (Zhang, Xiang, Hospedales & Lu 2018): K students learn together, each from
 * the labels and from its peers' current predictions,
 *   L_k = CE(p_k, y) + T^2 / (K - 1) · Σ_{j≠k} KL(p_j^T || p_k^T),   p^T = softmax(z / T)
 * (the paper uses T = 1). All K students sit side by side in ONE training graph (sideBySide.ts,
 * value names prefixed `student0/`, `student1/`, ...), so one ORT call updates them all.
 *
 * The paper alternates: update Θ_1 with Θ_2 fixed, then Θ_2 with the new Θ_1. Here the update is
 * simultaneous: every peer distribution p_j inside L_k passes through a stop-gradient (an Identity
 * the engine does not differentiate through), so the minimised sum Σ_k L_k gives Θ_k exactly the
 * gradient of its own L_k, with every student seeing its peers' predictions of the same step.
 */
import { composeSideBySide, extractMember } from './sideBySide.js';
import type { ModelProto } from '../onnx/proto.js';
import { softmaxCrossEntropy, LABELS_INPUT, type LossContext, type LossSpec, type LossTerm } from '../train/losses.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';

export interface MutualOptions {
  /** Softmax temperature of the mimicry terms; 1 in the paper. */
  temperature: number;
  /** Weight of the mimicry term (1 in the paper). */
  mimicryWeight?: number;
}

export const studentPrefix = (k: number): string => `student${k}`;

/** The K students side by side: one model, one shared input, outputs student0/…, student1/…, in order. */
export function composeStudents(students: readonly ModelProto[]): ModelProto {
  if (students.length < 2) throw new RetortError('BAD_ARGUMENT', `Deep mutual learning needs at least 2 students, got ${students.length}`);
  return composeSideBySide(students.map((model, k) => ({ prefix: studentPrefix(k), model })));
}

/** Student k back out of the composed (trained) model, with its own value names. */
export function extractStudent(composed: ModelProto, k: number): ModelProto {
  return extractMember(composed, studentPrefix(k));
}

/** The logits value of each student in the composed model (each student's first output). */
export function studentLogits(students: readonly ModelProto[]): string[] {
  return students.map((s, k) => `${studentPrefix(k)}/${s.graph!.output[0]!.name}`);
}

/** The DML objective over the composed students' logits; metrics `correct` (student 0, for the Trainer) and `correct:k`, `mimicry:k`. */
export function mutualLoss(logits: readonly string[], options: MutualOptions): LossSpec {
  const { temperature, mimicryWeight = 1 } = options;
  if (logits.length < 2) throw new RetortError('BAD_ARGUMENT', `Deep mutual learning needs at least 2 students' logits, got ${logits.length}`);
  if (!(temperature > 0)) throw new RetortError('BAD_ARGUMENT', `Mutual learning temperature must be positive, got ${temperature}`);
  if (!(mimicryWeight >= 0)) throw new RetortError('BAD_ARGUMENT', `Mutual learning mimicry weight must be non-negative, got ${mimicryWeight}`);
  return {
    kind: 'subgraph',
    build: (ctx: LossContext): LossTerm => {
      const { b } = ctx;
      const dims = ctx.shape(logits[0]!);
      const positions = dims.slice(0, -1).reduce((a, c) => a * c, 1);
      const soften = (x: string) => (temperature === 1 ? x : b.scale(x, 1 / temperature));
      const logP = logits.map((z) => b.op('LogSoftmax', [soften(z)], { axis: -1 }));
      // The peers' distributions as targets: copies the engine sends no gradient through.
      const detached = logP.map((lp) => b.identity(lp));
      const metrics: Record<string, string> = {};
      let labelInput: LossTerm['inputs'] = [];
      const losses = logits.map((z, k) => {
        const hard = softmaxCrossEntropy(ctx, z, 'index', LABELS_INPUT);
        labelInput = hard.inputs;
        metrics[`correct:${k}`] = hard.metrics.correct!;
        if (k === 0) metrics.correct = hard.metrics.correct!;
        const kls = detached
          .filter((_, j) => j !== k)
          .map((target) => b.reduceSum(b.mul(b.exp(target), b.sub(target, logP[k]!)), dims.map((_, i) => i), false));
        const mimicry = b.scale(b.sum(kls), (temperature * temperature) / (positions * (logits.length - 1)));
        metrics[`mimicry:${k}`] = mimicry;
        return mimicryWeight === 0 ? hard.value : b.add(hard.value, mimicryWeight === 1 ? mimicry : b.scale(mimicry, mimicryWeight));
      });
      return { value: b.sum(losses), inputs: labelInput, stopGradients: detached, metrics };
    },
  };
}

export interface MutualRun {
  students: readonly ModelProto[];
  data: TrainData;
  trainer: Omit<TrainerConfig, 'loss'>;
  mutual: MutualOptions;
}

export interface MutualResult extends TrainResult {
  /** Each trained student as a model of its own. */
  students: ModelProto[];
}

/** Train the students together and hand each back separately. */
export async function trainMutual(run: MutualRun, resumeFrom?: string): Promise<MutualResult> {
  const composed = composeStudents(run.students);
  const config: TrainerConfig = { ...run.trainer, loss: mutualLoss(studentLogits(run.students), run.mutual) };
  const trainer = await Trainer.create(composed, config, run.data, { resumeFrom });
  try {
    const result = await trainer.fit();
    return { ...result, students: run.students.map((_, k) => extractStudent(result.model, k)) };
  } finally {
    await trainer.dispose();
  }
}
