/**
 * An `OpenTrainer` that trains on the classic distillation objective (Hinton, Vinyals & Dean 2015:
 * alpha CE + (1 - alpha) T^2 KL against a frozen teacher) instead of the config's own loss. It is how
 * the compositions above the method modules join them: the pruning schedules (masked fine-tuning),
 * QAT (quantized distillation, Polino et al. 2018) and the joint flow each take an opener, and this
 * one brings in src/distill without any method module importing another.
 */
import { createDistillationTrainer } from '../../distill/distill.js';
import type { HintonOptions } from '../../distill/hintonLoss.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { OpenTrainer } from '../../train/openTrainer.js';

export function distillingTrainer(teacher: ModelProto, kd: HintonOptions): OpenTrainer {
  return async (student, config, data, resumeFrom) => {
    // Distillation sets the loss; any other config (masks, fake-quant settings, checkpoints) passes through.
    const { loss: _ignored, ...trainer } = config;
    const { trainer: opened, close } = await createDistillationTrainer({ teacher, student, data, trainer, kd }, resumeFrom);
    return { trainer: opened, close };
  };
}
