/**
 * One stage of a run: decide from the previous manifest whether it is finished (same hash, its
 * artifacts on disk: skip), interrupted (same hash, status running or failed: keep its folder and
 * checkpoint so a training stage resumes) or new (empty its folder); then hand the kind its
 * context — the models and data it reads, its folder, seed and checkpoint path — and record what it
 * wrote. The manifest is written before and after, so it always says where the run stands.
 */
import { appendFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { loadModel } from '../../onnx/model.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RetortError } from '../../util/errors.js';
import type { StageRecord } from './manifest.js';
import type { DataInput, ModelInput, StageContext } from './stageKind.js';
import type { ModelRef, PlannedStage } from './validate.js';

/** The checkpoint file name inside a stage folder (ctx.checkpoint). */
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
export const STAGE_METRICS_FILE = 'metrics.json';
export const STAGE_LOG_FILE = 'log.txt';

export interface StageEnvironment {
  /** The run folder. */
  out: string;
  threads: number | undefined;
  progress: boolean;
  log: (line: string) => void;
  data: Readonly<Record<string, DataInput>>;
  /** Records of the stages of this run so far (earlier stages' artifacts). */
  records: ReadonlyMap<string, StageRecord>;
  /** Writes the manifest (after each status change). */
  save: () => void;
}

/** Whether a finished record with this hash can stand: complete, and every artifact still on disk. */
export function reusable(previous: StageRecord | undefined, hash: string, out: string): boolean {
  return previous?.status === 'complete' && previous.hash === hash && Object.values(previous.artifacts).every((file) => existsSync(join(out, file)));
}

/** The file a model reference names: an earlier stage's artifact, or the recipe's file. */
export function modelPath(ref: ModelRef, env: Pick<StageEnvironment, 'out' | 'records'>): string {
  if (ref.from === 'file') return ref.path;
  const file = env.records.get(ref.stage)?.artifacts[ref.output];
  if (file === undefined) throw new RetortError('FILE_NOT_FOUND', `Stage "${ref.stage}" recorded no output "${ref.output}"`);
  return join(env.out, file);
}

function modelInput(ref: ModelRef, env: StageEnvironment): ModelInput {
  const path = modelPath(ref, env);
  return { path, model: loadModel(path), label: ref.label };
}

function context(stage: PlannedStage, dir: string, env: StageEnvironment): StageContext {
  const models: Record<string, ModelInput> = {};
  const modelLists: Record<string, ModelInput[]> = {};
  const data: Record<string, DataInput> = {};
  for (const [name, input] of Object.entries(stage.inputs)) {
    if (input.kind === 'data') data[name] = env.data[input.data]!;
    else if (input.kind === 'model') models[name] = modelInput(input.model, env);
    else modelLists[name] = input.models.map((m) => modelInput(m, env));
  }
  const logFile = join(dir, STAGE_LOG_FILE);
  return {
    dir,
    seed: stage.seed,
    threads: env.threads,
    progress: env.progress,
    log: (line) => {
      env.log(line);
      appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
    },
    models,
    modelLists,
    data,
    checkpoint: join(dir, CHECKPOINT_FILE),
  };
}

/** The artifacts as paths relative to the run folder; every declared output must be among them. */
function recordArtifacts(stage: PlannedStage, artifacts: Readonly<Record<string, string>>, dir: string, out: string): Record<string, string> {
  const missing = stage.kind.outputs.filter((name) => artifacts[name] === undefined);
  if (missing.length > 0) throw new RetortError('FILE_NOT_FOUND', `Stage "${stage.name}" (${stage.key}) returned no ${missing.map((m) => `"${m}"`).join(', ')} artifact (it declares: ${stage.kind.outputs.join(', ')})`);
  const recorded: Record<string, string> = {};
  for (const [name, file] of Object.entries(artifacts)) {
    const path = isAbsolute(file) ? file : resolve(dir, file);
    if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `Stage "${stage.name}" (${stage.key}) reported its "${name}" at ${path}, which does not exist`);
    recorded[name] = relative(out, path);
  }
  return recorded;
}

/**
 * Runs the stage unless `previous` finished it with the same hash; `record` is this run's entry
 * (status pending), updated in place and saved at each step.
 */
export async function runStage(stage: PlannedStage, record: StageRecord, previous: StageRecord | undefined, env: StageEnvironment): Promise<void> {
  const dir = join(env.out, stage.name);
  const title = `== ${stage.name} (${stage.key}, stage ${record.hash})`;
  if (previous && reusable(previous, record.hash, env.out)) {
    Object.assign(record, { ...previous, seed: stage.seed, skipped: true });
    env.log(`${title}: finished earlier, reusing ${Object.values(previous.artifacts).join(', ')}`);
    env.save();
    return;
  }
  const interrupted = previous !== undefined && previous.hash === record.hash && (previous.status === 'running' || previous.status === 'failed');
  if (!interrupted) rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const checkpointFound = interrupted && existsSync(join(dir, CHECKPOINT_FILE));
  Object.assign(record, { status: 'running', started: new Date().toISOString(), finished: null, seconds: null, attempts: interrupted ? previous.attempts + 1 : 1, checkpointFound, skipped: false, artifacts: {}, metrics: {} });
  delete record.error;
  env.save();
  env.log(`${title}: ${interrupted ? `running again after an interrupted attempt${checkpointFound ? ', from its checkpoint' : ''}` : 'running'}`);
  const t0 = performance.now();
  try {
    const ctx = context(stage, dir, env);
    const output = await stage.kind.run(ctx, stage.kwargs as never);
    const artifacts = recordArtifacts(stage, output.artifacts, dir, env.out);
    writeFileAtomic(join(dir, STAGE_METRICS_FILE), `${JSON.stringify(output.metrics, null, 2)}\n`);
    // The stage is complete once its artifacts are recorded; only then is its checkpoint dropped.
    Object.assign(record, { status: 'complete', finished: new Date().toISOString(), seconds: (performance.now() - t0) / 1000, artifacts, metrics: { ...output.metrics } });
    env.save();
    rmSync(ctx.checkpoint, { force: true });
  } catch (error) {
    Object.assign(record, { status: 'failed', seconds: (performance.now() - t0) / 1000, error: error instanceof Error ? error.message : String(error) });
    env.save();
    throw error;
  }
}
