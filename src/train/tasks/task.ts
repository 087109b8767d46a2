/**
 * What the Trainer needs to know about the kind of data it trains on, so its loop stays one loop:
 * how many batches make an epoch, how to fill a batch's input and label tensors for a step, how to
 * evaluate a model on a held-out split. The data declares its kind; `trainingTask` picks the task.
 *
 * - classification: one float sample and one int64 class label per row, seeded shuffles per epoch.
 * - language modelling: int64 token windows [batch, context] and next-token labels [batch, context],
 *   random window starts per step; the loss (mean cross-entropy over every position) is the same
 *   softmaxCrossEntropy builder, which already reduces over all axes but the last.
 */
import type { Dataset } from '../../data/dataset.js';
import type { TokenSequence } from '../../data/text/corpus.js';
import type { TokenWindows } from '../../data/text/windows.js';
import type { Session } from '../../runtime/session.js';
import type { OrtTensor } from '../../runtime/tensors.js';
import type { Evaluation } from '../evaluate.js';
import type { TensorSlot } from '../trainingGraph.js';

export type TaskKind = 'classification' | 'languageModeling';

/** Samples with class labels (the default kind). */
export interface TrainData {
  kind?: 'classification';
  train: Dataset;
  validation?: Dataset;
}

/** Token sequences for next-token prediction. */
export interface LanguageModelData {
  kind: 'languageModeling';
  train: TokenSequence;
  validation?: TokenSequence;
  /** Window length T: inputs [batch, T], labels [batch, T]. */
  context: number;
  /** Steps per epoch; default floor(train tokens / (batch * context)), at least 1. */
  stepsPerEpoch?: number;
  /**
   * Where each step's windows come from instead of random windows of `train`: e.g. sequences a model
   * sampled (sequence-level and on-policy distillation). `train` still names the data and sizes epochs.
   */
  windows?: WindowSource;
}

/** A supplier of training windows by step. */
export interface WindowSource {
  /** Identifies the source (and its seed) in the checkpoint's config hash. */
  readonly key: string;
  /**
   * The windows of `step`, written into `buffer` ([batch, context] inputs and labels). A source that
   * gives the same windows for the same step (as long as its own state is the same) keeps resume exact.
   */
  windows(step: number, buffer: TokenWindows): TokenWindows;
}

export type TrainerData = TrainData | LanguageModelData;

/** A split a task evaluates: samples for classification, tokens for language modelling. */
export type EvaluationSplit = Dataset | TokenSequence;

export interface TaskBatch {
  /** The model's data input and the loss's labels, at the training graph's dims. */
  input: OrtTensor;
  labels: OrtTensor;
  /** What ExtraFeeds see; absent where the task takes none. */
  view?: BatchContent;
}

/**
 * A batch's content as ExtraFeeds (teacher signals) see it: float samples with their dataset
 * indices, or token windows (`inputs` then empty, `indices` the windows' start positions in the
 * training tokens where they have them, else empty).
 */
export interface BatchContent {
  indices: Uint32Array;
  inputs: Float32Array;
  /** Token windows: int64 inputs and next-token labels, [batch, context]; valid until the next batch. */
  tokens?: TokenWindows;
}

export interface BatchSlots {
  input: TensorSlot;
  labels: TensorSlot;
}

export interface TrainingTask {
  readonly kind: TaskKind;
  readonly stepsPerEpoch: number;
  /** Label positions per sample (1 class label, or `context` next-token labels): accuracy's denominator. */
  readonly positionsPerSample: number;
  /** Per-batch loss inputs from ExtraFeeds (teacher signals) can be given. */
  readonly takesExtraFeeds: boolean;
  /** Part of the checkpoint's config hash; undefined leaves classification hashes as they were. */
  readonly hashKey?: unknown;
  /** Full dims for the model's data input in the training graph, where the batch axis alone is not enough. */
  inputShapes(input: string): Record<string, number[]> | undefined;
  /** The batch of `step`, the `batchInEpoch`-th of `epoch` (valid until the next call). */
  batch(epoch: number, batchInEpoch: number, step: number, slots: BatchSlots): TaskBatch;
  evaluate(session: Session, split: EvaluationSplit): Promise<Evaluation>;
  /** One line about an evaluation, for progress output. */
  describe(evaluation: Evaluation): string;
}

export const isTokenSequence = (split: EvaluationSplit): split is TokenSequence => 'tokens' in split;
