/**
 * What the compression stages (`prune`, `factorize`, `quantize`, `qat`, `joint`) share around their
 * method: the resume point, the data in the model's layout, and the end of every stage — model.onnx
 * written atomically, then measured from its bytes (parameters and non-zero ones, bytes raw and
 * gzipped, MACs, test error on the data's test split, per-layer weight sparsity) into the metrics.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { modelInputDims } from '../../data/forModel.js';
import { summarizeModel, weightSparsity } from '../../eval/modelSummary.js';
import { encodeModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import type { StageContext, StageData, StageOutput } from '../pipeline/stageKind.js';

/** The checkpoint an interrupted attempt of this stage left, if any. */
export const resumePoint = (ctx: Pick<StageContext, 'checkpoint'>): string | undefined => (existsSync(ctx.checkpoint) ? ctx.checkpoint : undefined);

/** The stage's `data` input in the layout `model` takes, or undefined where the stage has none. */
export function stageData(ctx: StageContext, model: ModelProto): StageData | undefined {
  return ctx.data.data?.load(modelInputDims(model));
}

/** Writes `model.onnx` and returns the artifacts and the metrics (`extra` first, measured numbers after). */
export async function finishCompressionStage(ctx: StageContext, model: ModelProto, options: { data?: StageData; started: number; extra?: Record<string, unknown> }): Promise<StageOutput> {
  const path = join(ctx.dir, 'model.onnx');
  const bytes = encodeModel(model);
  writeFileAtomic(path, bytes);
  const summary = await summarizeModel(bytes, { test: options.data?.test, threads: ctx.threads });
  const sparsity = weightSparsity(model);
  const test = summary.test;
  const metrics = {
    ...options.extra,
    parameters: summary.parameters,
    nonZeroParameters: summary.nonZeroParameters,
    fileBytes: summary.fileBytes,
    gzipBytes: summary.gzipBytes,
    macs: summary.macs,
    ...(test ? { testSamples: test.samples, testAccuracy: test.accuracy, testErrors: test.errors, testError: test.error, testLoss: test.loss } : {}),
    weightSparsity: sparsity.sparsity,
    layers: sparsity.layers,
    seconds: (performance.now() - options.started) / 1000,
  };
  if (test) ctx.log(`test error ${(100 * test.error).toFixed(2)}% on ${test.samples} samples; ${summary.nonZeroParameters} of ${summary.parameters} parameters non-zero; ${summary.fileBytes} bytes`);
  return { artifacts: { model: path }, metrics };
}
