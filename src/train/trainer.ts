/**
 * The Trainer runs epochs of seeded, shuffled mini-batches through one training-graph session.
 * Parameters and state stay ORT tensors between steps (each step's outputs are the next step's
 * inputs); only the loss and metric scalars are read in JavaScript. The epoch's order comes from
 * (seed, epoch) and dropout masks from (seed, step), so a run resumed from a checkpoint follows the
 * same trajectory, bit for bit, as one that never stopped.
 */
import { createHash } from 'node:crypto';
import { Graph } from '../onnx/graph.js';
import { encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { Session, type Feeds } from '../runtime/session.js';
import { floatTensor, readScalar, scalarFloat, type OrtTensor } from '../runtime/tensors.js';
import { RetortError } from '../util/errors.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint, type TrainingPosition } from './checkpoint.js';
import type { Evaluation } from './evaluate.js';
import { exportInferenceModel } from './export.js';
import type { LossSpec } from './losses.js';
import type { MaxNormConstraint, OptimizerSpec } from './optimizers/index.js';
import { makeProgress, type ProgressMode } from './progress.js';
import { makeSchedule, type ScheduleSpec } from './schedules.js';
import { fillDropoutMask } from './seeds.js';
import { trainingTask, type Augmentation, type BatchContent, type EvaluationSplit, type TrainerData, type TrainingTask } from './tasks/index.js';
import type { RunningStatistic } from './batchNorm.js';
import { buildTrainingGraph, LR_INPUT, STEP_INPUT, type CarriedTensor, type ParameterBound, type ParameterStatistic, type TrainingGraph } from './trainingGraph.js';

export interface TrainerConfig {
  batchSize: number;
  epochs: number;
  seed: number;
  optimizer: OptimizerSpec;
  schedule: ScheduleSpec;
  /** Default: softmax cross-entropy on the dataset's class labels (or, for token data, on every position's next token). */
  loss?: LossSpec;
  clipGlobalNorm?: number;
  maxNorm?: readonly MaxNormConstraint[];
  frozen?: readonly string[];
  batchNorm?: 'train' | 'frozen';
  /** Stop after this many updates in all (a budget; also how tests interrupt a run). */
  maxSteps?: number;
  /** Stop when the validation metric has not improved for `patience` epochs. */
  earlyStopping?: { patience: number; metric: 'loss' | 'accuracy' };
  /** Write a checkpoint every `everySteps` updates and when the run ends. */
  checkpoint?: { path: string; everySteps: number };
  progress?: ProgressMode;
  evalBatchSize?: number;
  /** ORT intra-op threads; 0 lets ORT choose. */
  threads?: number;
  /** Training-input augmentation, seeded from (seed, step) so a resumed run sees the same batches. */
  augmentation?: Augmentation;
  /**
   * Pruning masks by parameter name (1 keeps, 0 prunes), fed to the training graph as inputs: pruned
   * weights stay zero through training, and exported weights are W ⊙ M. `setMasks` changes them between steps.
   */
  masks?: ReadonlyMap<string, Float32Array>;
  /** Statistics accumulated in the graph per parameter (e.g. movement importance); read with `parameterStatistic`. */
  parameterStatistics?: readonly ParameterStatistic[];
  /** Forward values no gradient flows through (straight-through estimators); see TrainingGraphOptions. */
  stopGradients?: readonly string[];
  /** Carried, untrained initializers with their in-graph new values (QAT range observers). */
  buffers?: readonly RunningStatistic[];
  /** Scalar initializers trained as parameters (LSQ step sizes). */
  extraParameters?: readonly string[];
  /** Bounds applied to parameters after each update (BinaryConnect's latent-weight clipping). */
  parameterBounds?: readonly ParameterBound[];
}

export type { Augmentation, LanguageModelData, TaskKind, TrainData, TrainerData, WindowSource } from './tasks/index.js';

/**
 * One training batch as the loss sees it (after augmentation): dataset indices and float samples,
 * or token windows in `tokens` (then `inputs` is empty).
 */
export interface BatchView extends BatchContent {
  step: number;
}

/**
 * Extra per-batch inputs of the loss beyond the class labels: teacher logits for distillation,
 * cached or computed on the (augmented) batch.
 */
export type ExtraFeeds = (batch: BatchView) => Promise<Feeds>;

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  validation?: Evaluation;
}

interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  epochsWithoutImprovement: number;
}

/** Sums over the epoch in progress (kept in checkpoints so a resumed epoch reports the same means). */
interface EpochSums {
  loss: number;
  correct: number;
  steps: number;
}

interface TrainerState {
  history: EpochRecord[];
  earlyStopping: EarlyStoppingState;
  epochSums: EpochSums;
  stopped: boolean;
}

export interface TrainResult {
  steps: number;
  epochsCompleted: number;
  history: EpochRecord[];
  stoppedEarly: boolean;
  /** The last step's loss. */
  lastLoss: number;
  /** The trained inference model (current weights, no dropout). */
  model: ModelProto;
}

export interface TrainerOptions {
  /** Continue from this checkpoint (a path or a loaded one). */
  resumeFrom?: string | Checkpoint;
  /** Supplies the loss inputs named in `extraInputs` for each batch. */
  extraFeeds?: ExtraFeeds;
  /** Loss inputs that `extraFeeds` provides (all loss inputs but the int64 labels). */
  extraInputs?: readonly string[];
}

/** Hash of what decides the trajectory; a checkpoint only resumes a run with the same one. */
function configHash(config: TrainerConfig, graph: TrainingGraph, task: TrainingTask): string {
  const loss = config.loss?.kind === 'subgraph' ? { kind: 'subgraph', ...(config.loss.key ? { key: config.loss.key } : {}) } : config.loss ?? null;
  const decisive = {
    batchSize: config.batchSize,
    seed: config.seed,
    optimizer: config.optimizer,
    schedule: config.schedule,
    loss,
    clipGlobalNorm: config.clipGlobalNorm ?? null,
    maxNorm: config.maxNorm ?? [],
    frozen: config.frozen ?? [],
    batchNorm: config.batchNorm ?? 'train',
    augmentation: config.augmentation ?? null,
    carried: [...graph.parameters, ...graph.state].map((c) => [c.name, c.dims]),
    // Keys present only when used, so the hashes of runs without masks stay as they were.
    ...(config.masks ? { masks: maskDigest(config.masks) } : {}),
    ...(config.stopGradients ? { stopGradients: config.stopGradients } : {}),
    ...(config.parameterBounds ? { parameterBounds: config.parameterBounds } : {}),
    ...(task.hashKey !== undefined ? { task: task.hashKey } : {}),
  };
  return createHash('sha256').update(JSON.stringify(decisive)).digest('hex');
}

const elementCount = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

function maskDigest(masks: ReadonlyMap<string, Float32Array>): string {
  const hash = createHash('sha256');
  for (const [name, mask] of [...masks].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(name).update(new Uint8Array(mask.buffer, mask.byteOffset, mask.byteLength));
  return hash.digest('hex');
}

export class Trainer {
  private carried: Record<string, OrtTensor> = {};
  private maskFeeds: Record<string, OrtTensor> = {};
  private position: TrainingPosition = { step: 0, epoch: 0, batchInEpoch: 0 };
  private state: TrainerState = {
    history: [],
    earlyStopping: { best: null, bestEpoch: -1, epochsWithoutImprovement: 0 },
    epochSums: { loss: 0, correct: 0, steps: 0 },
    stopped: false,
  };
  private readonly hash: string;

  private constructor(
    readonly model: ModelProto,
    readonly config: TrainerConfig,
    readonly data: TrainerData,
    readonly graph: TrainingGraph,
    private readonly task: TrainingTask,
    private readonly session: Session,
    private readonly extraFeeds?: ExtraFeeds,
  ) {
    this.hash = configHash(config, graph, task);
  }

  static async create(model: ModelProto, config: TrainerConfig, data: TrainerData, options: TrainerOptions = {}): Promise<Trainer> {
    checkConfig(config, data);
    const task = trainingTask(data, config);
    if (options.extraFeeds && !task.takesExtraFeeds) throw new RetortError('BAD_ARGUMENT', `The Trainer takes no extraFeeds with ${task.kind} data yet`);
    const firstInput = new Graph(model.graph!).dataInputs[0];
    const graph = await buildTrainingGraph(model, {
      batchSize: config.batchSize,
      loss: config.loss ?? { kind: 'softmaxCrossEntropy', labels: 'index' },
      inputShapes: firstInput ? task.inputShapes(firstInput.name) : undefined,
      optimizer: config.optimizer,
      clipGlobalNorm: config.clipGlobalNorm,
      maxNorm: config.maxNorm,
      frozen: config.frozen,
      batchNorm: config.batchNorm,
      maskedParameters: config.masks ? [...config.masks.keys()] : undefined,
      parameterStatistics: config.parameterStatistics,
      stopGradients: config.stopGradients,
      buffers: config.buffers,
      extraParameters: config.extraParameters,
      parameterBounds: config.parameterBounds,
    });
    const extra = new Set(options.extraInputs ?? []);
    const labels = graph.lossInputs.filter((i) => !extra.has(i.name));
    const unfed = [...extra].filter((name) => !graph.lossInputs.some((i) => i.name === name));
    if (labels.length !== 1 || labels[0]!.type !== 'int64' || graph.batchInputs.length !== 1 || unfed.length > 0 || (extra.size > 0 && !options.extraFeeds)) {
      throw new RetortError(
        'BAD_ARGUMENT',
        `The Trainer feeds one data input, int64 labels and the loss inputs its extraFeeds provide; this loss reads ${graph.lossInputs.map((i) => i.name).join(', ')}`,
      );
    }
    const session = await Session.create(encodeModel(graph.model), { name: 'training graph', threads: config.threads ?? 0 });
    const trainer = new Trainer(model, config, data, graph, task, session, options.extraFeeds);
    for (const c of [...graph.parameters, ...graph.state]) trainer.carried[c.input] = floatTensor(c.initial ? Float32Array.from(c.initial) : new Float32Array(elementCount(c.dims)), c.dims);
    if (config.masks) trainer.setMasks(config.masks);
    if (options.resumeFrom !== undefined) {
      const checkpoint = typeof options.resumeFrom === 'string' ? loadCheckpoint(options.resumeFrom) : options.resumeFrom;
      trainer.restore(checkpoint, typeof options.resumeFrom === 'string' ? options.resumeFrom : 'the checkpoint');
    }
    return trainer;
  }

  get step(): number {
    return this.position.step;
  }

  private carriedTensors(): CarriedTensor[] {
    return [...this.graph.parameters, ...this.graph.state];
  }

  private restore(checkpoint: Checkpoint, source: string): void {
    if (checkpoint.configHash !== this.hash) {
      throw new RetortError('CHECKPOINT_INVALID', `${source} was written by a run with another configuration (batch size, seed, optimizer, schedule, loss or model); it cannot resume this one`);
    }
    const byName = new Map(checkpoint.tensors.map((t) => [t.name, t]));
    for (const c of this.carriedTensors()) {
      const saved = byName.get(c.name);
      if (!saved || saved.dims.join(',') !== c.dims.join(',')) {
        throw new RetortError('CHECKPOINT_INVALID', `${source} lacks tensor "${c.name}" [${c.dims.join(',')}]${saved ? ` (it has [${saved.dims.join(',')}])` : ''}`);
      }
      this.carried[c.input] = floatTensor(saved.data, c.dims);
    }
    this.position = { ...checkpoint.position };
    this.state = structuredClone(checkpoint.trainerState as TrainerState);
  }

  toCheckpoint(): Checkpoint {
    return {
      configHash: this.hash,
      seed: this.config.seed,
      position: { ...this.position },
      tensors: this.carriedTensors().map((c) => ({ name: c.name, dims: c.dims, data: this.carried[c.input]!.data as Float32Array })),
      trainerState: this.state,
    };
  }

  saveCheckpoint(path: string): void {
    saveCheckpoint(path, this.toCheckpoint());
  }

  /**
   * Replace the pruning masks (same parameters as at creation): the carried weights are multiplied by
   * the new masks at once, so pruned weights are zero from the next step on (gradual pruning recomputes
   * masks between steps). Off the hot path: called when masks change, not per step.
   */
  setMasks(masks: ReadonlyMap<string, Float32Array>): void {
    const slots = this.graph.masks;
    const unknown = [...masks.keys()].filter((name) => !slots.some((m) => m.parameter === name));
    if (unknown.length > 0 || masks.size !== slots.length) {
      throw new RetortError('BAD_ARGUMENT', `setMasks: the training graph masks ${slots.map((m) => m.parameter).join(', ') || 'no parameters'}; got masks for ${[...masks.keys()].join(', ')}`);
    }
    for (const slot of slots) {
      const mask = masks.get(slot.parameter)!;
      if (mask.length !== elementCount(slot.dims)) throw new RetortError('BAD_ARGUMENT', `setMasks: mask "${slot.parameter}" has ${mask.length} values, the parameter [${slot.dims.join(',')}] has ${elementCount(slot.dims)}`);
      this.maskFeeds[slot.input] = floatTensor(Float32Array.from(mask), slot.dims);
      const parameter = this.graph.parameters.find((p) => p.name === slot.parameter);
      if (!parameter) continue; // frozen: the mask acts in the forward pass only
      const values = Float32Array.from(this.carried[parameter.input]!.data as Float32Array);
      for (let i = 0; i < values.length; i++) if (mask[i] === 0) values[i] = 0;
      this.carried[parameter.input] = floatTensor(values, parameter.dims);
    }
  }

  /** A parameter statistic's current values by parameter name (copies). */
  parameterStatistic(name: string): Map<string, Float32Array> {
    const suffix = `:${name}`;
    const found = (this.config.parameterStatistics ?? []).find((s) => s.name === name);
    if (!found) throw new RetortError('UNKNOWN_KEY', `No parameter statistic "${name}". Should be one of: ${(this.config.parameterStatistics ?? []).map((s) => s.name).join(', ')}`);
    return new Map(found.parameters.map((p) => {
      const slot = this.graph.state.find((s) => s.name === `${p}${suffix}`)!;
      return [p, Float32Array.from(this.carried[slot.input]!.data as Float32Array)];
    }));
  }

  /** Current values of the training-only parameters a loss added (e.g. a FitNets regressor), by name (copies). */
  trainingOnlyValues(): Map<string, Float32Array> {
    return new Map(this.graph.parameters.filter((c) => c.trainingOnly).map((c) => [c.name, Float32Array.from(this.carried[c.input]!.data as Float32Array)]));
  }

  /** Current parameters (masks folded in: W ⊙ M) and running statistics by name (copies). */
  currentValues(): Map<string, Float32Array> {
    const values = new Map<string, Float32Array>();
    for (const c of this.graph.parameters) {
      if (c.trainingOnly) continue; // loss parameters (a FitNets regressor) are not part of the model
      const value = Float32Array.from(this.carried[c.input]!.data as Float32Array);
      const slot = this.graph.masks.find((m) => m.parameter === c.name);
      const mask = slot ? (this.maskFeeds[slot.input]!.data as Float32Array) : undefined;
      // +0, not the -0 that w * 0 gives for negative w: zeros compress and encode alike.
      if (mask) for (let i = 0; i < value.length; i++) if (mask[i] === 0) value[i] = 0;
      values.set(c.name, value);
    }
    for (const c of this.graph.state.filter((s) => s.input.startsWith('buffer:'))) values.set(c.name, Float32Array.from(this.carried[c.input]!.data as Float32Array));
    return values;
  }

  exportModel(): ModelProto {
    return exportInferenceModel(this.model, this.currentValues());
  }

  /** The current model on a held-out split of the data's kind (samples, or a token sequence). */
  async evaluate(split: EvaluationSplit): Promise<Evaluation> {
    const session = await Session.create(encodeModel(this.exportModel()), { name: 'evaluation model', threads: this.config.threads ?? 0 });
    try {
      return await this.task.evaluate(session, split);
    } finally {
      await session.dispose();
    }
  }

  async fit(): Promise<TrainResult> {
    const { config, graph, task } = this;
    const { batchSize, seed } = config;
    const schedule = makeSchedule(config.schedule);
    const perEpoch = task.stepsPerEpoch;
    const totalSteps = Math.min(config.maxSteps ?? Infinity, config.epochs * perEpoch);
    const masks = graph.dropout.map((site) => new Float32Array(elementCount(site.dims)));
    const correctOutput = graph.metrics.correct;
    const fetches = [graph.lossOutput, ...(correctOutput ? [correctOutput] : []), ...this.carriedTensors().map((c) => c.output)];
    const progress = makeProgress(config.progress ?? 'auto');
    const slots = { input: graph.batchInputs[0]!, labels: graph.lossInputs.find((i) => i.type === 'int64')! };
    let lastLoss = NaN;
    let last = { time: performance.now(), step: this.position.step };
    progress.start(totalSteps, this.position.step);
    try {
      while (!this.state.stopped && this.position.epoch < config.epochs && this.position.step < totalSteps) {
        while (this.position.batchInEpoch < perEpoch && this.position.step < totalSteps) {
          const k = this.position.batchInEpoch;
          const step = this.position.step;
          const batch = task.batch(this.position.epoch, k, step, slots);
          const lr = schedule(step);
          const feeds: Feeds = {
            ...this.carried,
            ...this.maskFeeds,
            [slots.input.name]: batch.input,
            [slots.labels.name]: batch.labels,
            [LR_INPUT]: scalarFloat(lr),
            [STEP_INPUT]: scalarFloat(step + 1),
          };
          if (this.extraFeeds && batch.view) Object.assign(feeds, await this.extraFeeds({ ...batch.view, step }));
          graph.dropout.forEach((site, i) => {
            fillDropoutMask(masks[i]!, site.ratio, seed, step, i);
            feeds[site.input] = floatTensor(masks[i]!, site.dims);
          });
          const results = await this.session.run(feeds, fetches);
          lastLoss = readScalar(results[graph.lossOutput]!);
          if (!Number.isFinite(lastLoss)) {
            throw new RetortError(
              'NON_FINITE',
              `Training diverged: the loss is ${lastLoss} at step ${step + 1} (epoch ${this.position.epoch + 1}, lr ${lr}); lower the learning rate or set clipGlobalNorm`,
            );
          }
          for (const c of this.carriedTensors()) this.carried[c.input] = results[c.output]!;
          const sums = this.state.epochSums;
          sums.loss += lastLoss;
          if (correctOutput) sums.correct += readScalar(results[correctOutput]!);
          sums.steps += 1;
          this.position = { ...this.position, step: step + 1, batchInEpoch: k + 1 };
          const now = performance.now();
          progress.step({ step: step + 1, totalSteps, epoch: this.position.epoch, loss: lastLoss, lr, samplesPerSecond: ((step + 1 - last.step) * batchSize * 1000) / Math.max(1e-9, now - last.time) });
          if ((step + 1) % 50 === 0) last = { time: now, step: step + 1 };
          if (config.checkpoint && this.position.step % config.checkpoint.everySteps === 0) this.saveCheckpoint(config.checkpoint.path);
        }
        if (this.position.batchInEpoch === perEpoch) await this.endEpoch(progress.message);
      }
    } finally {
      progress.stop();
    }
    if (config.checkpoint) this.saveCheckpoint(config.checkpoint.path);
    return {
      steps: this.position.step,
      epochsCompleted: this.state.history.length,
      history: this.state.history,
      stoppedEarly: this.state.stopped,
      lastLoss,
      model: this.exportModel(),
    };
  }

  private async endEpoch(report: (text: string) => void): Promise<void> {
    const { epochSums: sums, earlyStopping } = this.state;
    const record: EpochRecord = {
      epoch: this.position.epoch,
      trainLoss: sums.loss / Math.max(1, sums.steps),
      trainAccuracy: sums.correct / Math.max(1, sums.steps * this.config.batchSize * this.task.positionsPerSample),
    };
    if (this.data.validation) record.validation = await this.evaluate(this.data.validation);
    this.state.history.push(record);
    this.state.epochSums = { loss: 0, correct: 0, steps: 0 };
    this.position = { ...this.position, epoch: this.position.epoch + 1, batchInEpoch: 0 };
    const validation = record.validation ? ` validation ${this.task.describe(record.validation)}` : '';
    report(`epoch ${record.epoch + 1}: train loss ${record.trainLoss.toFixed(4)} accuracy ${(100 * record.trainAccuracy).toFixed(2)}%${validation}`);
    const rule = this.config.earlyStopping;
    if (!rule || !record.validation) return;
    const score = rule.metric === 'loss' ? -record.validation.loss : record.validation.accuracy;
    if (earlyStopping.best === null || score > earlyStopping.best) {
      this.state.earlyStopping = { best: score, bestEpoch: record.epoch, epochsWithoutImprovement: 0 };
    } else if (++earlyStopping.epochsWithoutImprovement >= rule.patience) {
      this.state.stopped = true;
      report(`early stopping: no improvement in validation ${rule.metric} for ${rule.patience} epochs (best at epoch ${earlyStopping.bestEpoch + 1})`);
    }
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}

function checkConfig(config: TrainerConfig, data: TrainerData): void {
  const positive = (what: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new RetortError('BAD_ARGUMENT', `Trainer: ${what} must be a positive integer, got ${value}`);
  };
  positive('batchSize', config.batchSize);
  positive('epochs', config.epochs);
  positive('maxSteps', config.maxSteps);
  positive('checkpoint.everySteps', config.checkpoint?.everySteps);
  positive('earlyStopping.patience', config.earlyStopping?.patience);
  if (config.earlyStopping && !data.validation) throw new RetortError('BAD_ARGUMENT', 'Trainer: earlyStopping needs a validation set');
}
