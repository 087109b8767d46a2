/**
 * L-infinity evasion attacks from retort's own input gradients: FGSM (Goodfellow et al. 2015,
 * "Explaining and Harnessing Adversarial Examples") and PGD (Madry et al. 2018, "Towards Deep
 * Learning Models Resistant to Adversarial Attacks"), untargeted, against the true labels.
 *
 * The gradient of the mean softmax cross-entropy with respect to the input comes from one ORT call
 * on the model's loss-and-gradient graph (eval/gradcheck/lossModel.ts, differentiated by autodiff/).
 * The loss is a batch mean, so each sample's gradient is scaled by 1/batch: its sign, which is all
 * an L-infinity step uses, is unchanged. The step itself (sign, add, project, clip) is a cheap
 * elementwise pass in float64, rounded to float32 once per step.
 */
import { epochBatches } from '../data/batches.js';
import type { Dataset } from '../data/dataset.js';
import { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session } from '../runtime/session.js';
import { floatTensor, int64Tensor, readFloats } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { buildCrossEntropyGradientModel } from './gradcheck/lossModel.js';

export type Attack =
  | { method: 'fgsm'; epsilon: number }
  | {
      method: 'pgd';
      epsilon: number;
      /** Size of each signed-gradient step (Madry et al. use about 2.5 * epsilon / steps). */
      stepSize: number;
      steps: number;
      /** Start from a uniform point of the epsilon ball, seeded; false starts at the clean input. */
      randomStart: false | { seed: number };
    };

export interface AttackOptions {
  /** Valid input range every adversarial input is clipped to; [0, 1] (pixel intensities) by default. */
  range?: { min: number; max: number };
  /** Samples per gradient call; 256 by default. */
  batchSize?: number;
}

const DEFAULT_BATCH_SIZE = 256;

export function describeAttack(attack: Attack): string {
  return attack.method === 'fgsm'
    ? `FGSM eps=${attack.epsilon}`
    : `PGD eps=${attack.epsilon} step=${attack.stepSize} steps=${attack.steps}${attack.randomStart ? ` random-start seed=${attack.randomStart.seed}` : ''}`;
}

function checkAttack(attack: Attack): void {
  if (!(attack.epsilon >= 0 && Number.isFinite(attack.epsilon))) throw new RetortError('BAD_ARGUMENT', `Attack epsilon must be a finite number >= 0, got ${attack.epsilon}`);
  if (attack.method === 'pgd') {
    if (!(attack.stepSize > 0 && Number.isFinite(attack.stepSize))) throw new RetortError('BAD_ARGUMENT', `PGD stepSize must be a finite number > 0, got ${attack.stepSize}`);
    if (!(Number.isInteger(attack.steps) && attack.steps >= 1)) throw new RetortError('BAD_ARGUMENT', `PGD steps must be an integer >= 1, got ${attack.steps}`);
  }
}

function rangeOf(options: AttackOptions): { min: number; max: number } {
  const range = options.range ?? { min: 0, max: 1 };
  if (!(range.min < range.max)) throw new RetortError('BAD_ARGUMENT', `Attack input range needs min < max, got [${range.min}, ${range.max}]`);
  return range;
}

/** Gradient of the mean cross-entropy with respect to the model's input, one compiled graph per batch size. */
export class InputGradients {
  private readonly sessions = new Map<number, Promise<{ session: Session; labels: string; gradient: string }>>();
  private readonly input: string;

  constructor(
    private readonly model: ModelProto,
    private readonly inputDims: readonly number[],
    readonly name = 'model',
  ) {
    const inputs = new Graph(model.graph!).dataInputs;
    if (inputs.length !== 1) {
      throw new RetortError('BAD_ARGUMENT', `Attacks need a model with one input; ${name} has ${inputs.map((i) => i.name).join(', ') || 'none'}`);
    }
    this.input = inputs[0]!.name;
  }

  private compiled(batch: number) {
    let entry = this.sessions.get(batch);
    if (!entry) {
      // The cross-entropy's 1/batch is a constant of the graph, so each batch size gets its own.
      entry = (async () => {
        const rowSize = this.inputDims.reduce((a, b) => a * b, 1);
        const feeds = { [this.input]: floatTensor(new Float32Array(batch * rowSize), [batch, ...this.inputDims]) };
        const built = await buildCrossEntropyGradientModel(this.model, feeds, { data: new BigInt64Array(batch), dims: [batch] }, [this.input]);
        const session = await Session.create(encodeModel(built.model), { name: `${this.name} input-gradient graph` });
        return { session, labels: built.labelsInput, gradient: built.gradientOutputs.get(this.input)! };
      })();
      this.sessions.set(batch, entry);
    }
    return entry;
  }

  /** d(mean cross-entropy)/d(inputs) for `labels.length` samples. */
  async gradient(inputs: Float32Array, labels: BigInt64Array): Promise<Float32Array> {
    const batch = labels.length;
    const { session, labels: labelsInput, gradient } = await this.compiled(batch);
    const results = await session.run(
      { [this.input]: floatTensor(inputs, [batch, ...this.inputDims]), [labelsInput]: int64Tensor(labels, [batch]) },
      [gradient],
    );
    return readFloats(results[gradient]!, `input gradient of ${this.name}`);
  }

  async dispose(): Promise<void> {
    for (const entry of this.sessions.values()) await (await entry).session.dispose();
    this.sessions.clear();
  }
}

/**
 * One signed-gradient step from `current`, projected onto the epsilon ball around `clean` and
 * clipped to the valid range: clip(clean + clamp(current + step * sign(g) - clean, -eps, eps)).
 */
function signedStep(current: Float32Array, clean: Float32Array, gradient: Float32Array, step: number, epsilon: number, range: { min: number; max: number }): Float32Array {
  const next = new Float32Array(current.length);
  for (let k = 0; k < current.length; k++) {
    const moved = current[k]! + step * Math.sign(gradient[k]!);
    const projected = Math.min(clean[k]! + epsilon, Math.max(clean[k]! - epsilon, moved));
    next[k] = Math.min(range.max, Math.max(range.min, projected));
  }
  return next;
}

/** Adversarial versions of one batch of clean inputs. */
export async function attackBatch(
  gradients: InputGradients,
  clean: Float32Array,
  labels: BigInt64Array,
  attack: Attack,
  options: AttackOptions = {},
): Promise<Float32Array> {
  checkAttack(attack);
  const range = rangeOf(options);
  if (attack.method === 'fgsm') {
    return signedStep(clean, clean, await gradients.gradient(clean, labels), attack.epsilon, attack.epsilon, range);
  }
  let current = clean;
  if (attack.randomStart) {
    const rng = new Rng(attack.randomStart.seed);
    current = clean.map((v) => Math.min(range.max, Math.max(range.min, v + attack.epsilon * (2 * rng.next() - 1))));
  }
  for (let s = 0; s < attack.steps; s++) {
    current = signedStep(current, clean, await gradients.gradient(current, labels), attack.stepSize, attack.epsilon, range);
  }
  return current;
}

/**
 * The dataset with every input replaced by its adversarial version against `gradients`' model.
 * With a random start, batch b draws its start from seed + b: the same seed and batchSize give the
 * same adversarial set.
 */
export async function adversarialDataset(gradients: InputGradients, dataset: Dataset, attack: Attack, options: AttackOptions = {}): Promise<Dataset> {
  checkAttack(attack);
  const inputs = new Float32Array(dataset.inputs.length);
  let offset = 0;
  let b = 0;
  for (const batch of epochBatches(dataset, { batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, shuffle: false, dropLast: false })) {
    const batchAttack: Attack = attack.method === 'pgd' && attack.randomStart ? { ...attack, randomStart: { seed: attack.randomStart.seed + b } } : attack;
    const adversarial = await attackBatch(gradients, batch.inputs.slice(), batch.labels.slice(), batchAttack, options);
    inputs.set(adversarial, offset);
    offset += adversarial.length;
    b++;
  }
  return { ...dataset, name: `${dataset.name} (${describeAttack(attack)})`, inputs };
}
