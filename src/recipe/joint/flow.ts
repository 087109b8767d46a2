/**
 * Joint pruning, quantization and distillation in ONE training run of the student, as OpenVINO's
 * JPQD (NNCF "Joint Pruning, Quantization and Distillation") does it:
 * - fake quantization of weights and activations (src/quantize/qat: QuantizeLinear/DequantizeLinear
 *   as float ops with the straight-through estimator, activation ranges initialized from calibration);
 * - gradual magnitude pruning on the AGP cubic schedule (Zhu & Gupta 2017, src/prune/schedules/agp),
 *   the masks a `Mul` in the training graph, recomputed every `frequency` steps, so pruned weights are
 *   exactly zero and fake-quantize to code 0 (weights are symmetric, zero point 0);
 * - distillation from the float teacher (Hinton et al. 2015, src/distill) as the training loss.
 * It then exports a real int8 QDQ model (the static-PTQ format) in which the pruned weights stay zero.
 * It lives in src/recipe because it composes three method modules: the pruning schedule trains
 * through an opener (distillingTrainer) on the fake-quantized model, its layers found in the float
 * model because fake quantization wraps every weight.
 */
import type { HintonOptions } from '../../distill/hintonLoss.js';
import type { ModelProto } from '../../onnx/proto.js';
import { findPrunableLayers } from '../../prune/layers.js';
import type { PruningScope } from '../../prune/importance/index.js';
import type { Masks } from '../../prune/masks.js';
import { gradualPrune, type AgpSchedule } from '../../prune/schedules/agp.js';
import type { CalibrationDataReader } from '../../quantize/calibration/reader.js';
import { exportQdq } from '../../quantize/qat/exportQdq.js';
import type { QatOptions } from '../../quantize/qat/options.js';
import { insertFakeQuantization, type FakeQuantModel } from '../../quantize/qat/prepare.js';
import { withQatSettings } from '../../quantize/qat/train.js';
import type { TrainData, TrainerConfig, TrainResult } from '../../train/trainer.js';
import { distillingTrainer } from './distillingTrainer.js';

export interface JointRun {
  /** The student, trained or an initialization. */
  student: ModelProto;
  /** The float teacher; without one the loss is the hard-label cross-entropy (a JPQD without D). */
  teacher?: ModelProto;
  kd: HintonOptions;
  data: TrainData;
  /**
   * Trainer settings (the loss comes from distillation). With `checkpoint`, the run writes the
   * trainer state and the masks in effect together, and `resumeFrom` continues from such a file.
   */
  trainer: Omit<TrainerConfig, 'loss' | 'masks'>;
  pruning: { schedule: AgpSchedule; scope: PruningScope };
  quantization: QatOptions;
  /** The images that initialize the activation ranges (static-PTQ calibration with the options' calibrator). */
  calibration: CalibrationDataReader;
  resumeFrom?: string;
  onPrune?: (step: number, sparsity: number) => void;
}

export interface JointResult {
  /** The int8 QDQ model. */
  model: ModelProto;
  fakeQuant: FakeQuantModel;
  masks: Masks;
  training: TrainResult;
}

export async function jointPruneQuantizeDistill(run: JointRun): Promise<JointResult> {
  // Deterministic given the student and the calibration images: a resumed run rebuilds the same graph.
  const fakeQuant = await insertFakeQuantization(run.student, run.quantization, run.calibration);
  const pruned = await gradualPrune(fakeQuant.model, {
    importance: { method: 'magnitude' },
    scope: run.pruning.scope,
    schedule: run.pruning.schedule,
    layers: findPrunableLayers(fakeQuant.floatModel),
    config: withQatSettings(run.trainer, fakeQuant.training),
    data: run.data,
    open: run.teacher ? distillingTrainer(run.teacher, run.kd) : undefined,
    resumeFrom: run.resumeFrom,
    onPrune: run.onPrune,
  });
  return { model: exportQdq(fakeQuant, pruned.values), fakeQuant, masks: pruned.masks, training: pruned.result };
}

/**
 * The AGP schedule over a run of `totalSteps`: pruning from `start` to `end` (fractions of the run),
 * masks recomputed every `frequency` steps, the last update at or before `end`.
 */
export function agpOverRun(totalSteps: number, options: { sparsity: number; start: number; end: number; frequency: number }): AgpSchedule {
  const startStep = Math.round(options.start * totalSteps);
  const pruningSteps = Math.max(1, Math.floor((Math.round(options.end * totalSteps) - startStep) / options.frequency));
  return { initialSparsity: 0, finalSparsity: options.sparsity, startStep, frequency: options.frequency, pruningSteps };
}
