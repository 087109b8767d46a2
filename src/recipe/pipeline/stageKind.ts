/**
 * The contract between the recipe runner (runner.ts) and the stages it runs. A stage kind is one
 * step of a compression pipeline (`train`, `distill`, `prune`, `factorize`, `quantize`, `qat`,
 * `joint`, `eval`, `compare`): it declares the model and data inputs it reads, validates its own
 * `kwargs` with a zod schema (so a recipe's every mistake is found before anything runs), and
 * writes its artifacts into the folder the runner gives it. Stage kinds call the method modules'
 * library APIs; the CLI commands call the same functions, so a recipe stage and the command with
 * the same name do the same thing.
 */
import type { z } from 'zod';
import type { ModelProto } from '../../onnx/proto.js';
import type { Dataset } from '../../data/dataset.js';
import type { TrainTestData } from '../../data/sources.js';
import type { TextCorpus } from '../../data/text/corpus.js';
import type { Tokenizer, TokenizerKind } from '../../data/text/tokenizer.js';

/** A resolved model input: the file the runner found (a path in the recipe, or an earlier stage's output). */
export interface ModelInput {
  path: string;
  model: ModelProto;
  /**
   * How the recipe refers to it, for tables and reports: the stage name for `STAGE.model`,
   * `STAGE.OUTPUT` for another output, the path as written for a file. (Added for `compare`.)
   */
  label?: string;
}

/**
 * A dataset's splits for a model: `train` without the held-out samples, `test`, and `validation`
 * (the last training samples) when the recipe's data entry holds some out.
 */
export type StageData = TrainTestData & { validation?: Dataset };

/** A resolved dataset input: the recipe's `data` entry, loaded in the layout the stage asks for. */
export interface DataInput {
  /** The recipe's name for it, e.g. `mnist`. */
  name: string;
  /** Loads train/test (and a held-out validation split when the entry asks for one) for a model's per-sample dims. */
  load(inputDims: readonly number[] | null): StageData;
  /**
   * Present for a text entry (`key: text`, language modelling); `load` then refuses, naming the
   * entry, since there are no samples with class labels. (Added for language models.)
   */
  text?: TextDataInput;
}

/** A text file for language modelling, tokenized on demand (a model trained elsewhere keeps its own tokenizer). */
export interface TextDataInput {
  /** The text file, absolute. */
  path: string;
  /** The entry's tokenizer kind: what a built architecture is trained with. */
  tokenizer: TokenizerKind;
  validationFraction: number;
  /** The file tokenized (default the entry's kind), split into training and validation tokens, each cut to the entry's limits. */
  corpus(tokenizer?: TokenizerKind | Tokenizer): TextCorpus;
}

export interface StageContext {
  /** The stage's own folder inside the run folder (exists, empty on a first run). */
  dir: string;
  /** The stage's seed: the recipe's `seed` unless the stage sets its own. */
  seed: number;
  /** ORT intra-op threads, or undefined for ORT's default. */
  threads: number | undefined;
  /** Whether to draw progress bars (a terminal) or periodic lines. */
  progress: boolean;
  /** One line to the run's log (stderr and the stage's log file). */
  log(line: string): void;
  /** Models by the input names the kind declares (`model`, `teacher`, ...). */
  models: Readonly<Record<string, ModelInput>>;
  /** Lists of models by the names of the kind's `models` inputs (e.g. `compare`'s `models`), in recipe order. */
  modelLists?: Readonly<Record<string, readonly ModelInput[]>>;
  /** Datasets by the input names the kind declares (usually `data`). */
  data: Readonly<Record<string, DataInput>>;
  /**
   * Where a training stage keeps its resumable checkpoint. The runner leaves it in place when a
   * stage is interrupted and deletes it once the stage completes; a stage that finds one resumes.
   */
  checkpoint: string;
}

export interface StageOutput {
  /** Output name → absolute path of the file written inside `ctx.dir` (`model` for the main ONNX). */
  artifacts: Readonly<Record<string, string>>;
  /**
   * The stage's numbers for the manifest and the final comparison (JSON-serializable), e.g.
   * `{ testError: 0.0065, parameters: 61706, seconds: 41.2 }`.
   */
  metrics: Readonly<Record<string, unknown>>;
}

export interface InputSpec {
  name: string;
  /** `models`: a list of models (`[teacher.model, pruned.model, base.onnx]`), handed over in `ctx.modelLists`. */
  kind: 'model' | 'models' | 'data';
  /** An optional input may be left out of the recipe (e.g. `teacher` of `prune`, used for a distillation fine-tune). */
  required: boolean;
  description: string;
}

export interface StageKind<K = unknown> {
  /** The `key` recipes use, e.g. `prune`. */
  key: string;
  /** One line for `retort run --help` and `retort run --list-stages`. */
  summary: string;
  inputs: readonly InputSpec[];
  /** Names of the artifacts it writes (`model`, `metrics`, ...); later stages refer to `STAGE.model`. */
  outputs: readonly string[];
  /**
   * Which outputs are ONNX models, so a model input can refer to them; default `model` when it is
   * among `outputs` (a JSON report is not a model). (Added by the runner: optional.)
   */
  modelOutputs?: readonly string[];
  /** Validates and defaults the stage's kwargs; errors carry paths relative to `kwargs`. */
  kwargs: z.ZodType<K>;
  run(ctx: StageContext, kwargs: K): Promise<StageOutput>;
}
