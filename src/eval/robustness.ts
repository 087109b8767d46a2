/**
 * Accuracy under attack for several models side by side: each model attacked with its own input
 * gradients (white-box), and optionally with adversarial examples crafted on a source model such as
 * the teacher (transfer attack, Papernot et al. 2016, "Transferability in Machine Learning").
 */
import type { Dataset } from '../data/dataset.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { adversarialDataset, describeAttack, InputGradients, type Attack, type AttackOptions } from './attacks.js';
import { datasetLogits } from './logits.js';
import { accuracy } from './metrics/classification.js';
import { predictionsOf } from './metrics/predictions.js';

export interface NamedModel {
  name: string;
  model: ModelProto;
}

export interface RobustnessRow {
  model: string;
  /** describeAttack(attack), or 'clean' for the unattacked accuracy. */
  attack: string;
  epsilon: number;
  /** The model whose gradients crafted the examples: the evaluated model itself, or the transfer source. */
  craftedOn: string;
  accuracy: number;
}

export interface RobustnessOptions extends AttackOptions {
  /** Also evaluate every model on examples crafted on this model (a transfer attack). */
  transferFrom?: NamedModel;
  /** Samples per inference run when scoring; 1000 by default. */
  evalBatchSize?: number;
}

async function scoreOn(session: Session, dataset: Dataset, batchSize: number): Promise<number> {
  return accuracy(predictionsOf(await datasetLogits(session, dataset, batchSize)));
}

/** Rows: per model, its clean accuracy, then per attack its white-box accuracy (and transfer accuracy). */
export async function compareRobustness(models: readonly NamedModel[], dataset: Dataset, attacks: readonly Attack[], options: RobustnessOptions = {}): Promise<RobustnessRow[]> {
  const evalBatch = options.evalBatchSize ?? 1000;
  const sessions = await Promise.all(models.map((m) => Session.create(encodeModel(m.model), { name: m.name })));
  const rows: RobustnessRow[] = [];
  try {
    // Transfer examples are crafted once per attack and shared by every evaluated model.
    const transferred: Dataset[] = [];
    if (options.transferFrom) {
      const source = new InputGradients(options.transferFrom.model, dataset.inputDims, options.transferFrom.name);
      try {
        for (const attack of attacks) transferred.push(await adversarialDataset(source, dataset, attack, options));
      } finally {
        await source.dispose();
      }
    }
    for (const [m, model] of models.entries()) {
      const session = sessions[m]!;
      rows.push({ model: model.name, attack: 'clean', epsilon: 0, craftedOn: model.name, accuracy: await scoreOn(session, dataset, evalBatch) });
      const gradients = new InputGradients(model.model, dataset.inputDims, model.name);
      try {
        for (const [a, attack] of attacks.entries()) {
          const adversarial = await adversarialDataset(gradients, dataset, attack, options);
          const label = describeAttack(attack);
          rows.push({ model: model.name, attack: label, epsilon: attack.epsilon, craftedOn: model.name, accuracy: await scoreOn(session, adversarial, evalBatch) });
          if (options.transferFrom) {
            rows.push({ model: model.name, attack: label, epsilon: attack.epsilon, craftedOn: options.transferFrom.name, accuracy: await scoreOn(session, transferred[a]!, evalBatch) });
          }
        }
      } finally {
        await gradients.dispose();
      }
    }
  } finally {
    for (const s of sessions) await s.dispose();
  }
  return rows;
}
