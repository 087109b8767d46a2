/**
 * The `deep-compress` stage: Deep Compression's quantization and coding steps (Han, Mao & Dally
 * 2016) through the same function `retort compress-deep` calls (src/encode/deepCompression.ts):
 * per-layer k-means weight sharing of the surviving (non-zero) weights, optional centroid
 * fine-tuning (on the data's labels, or distilled from the `teacher` input; resumable from
 * ctx.checkpoint), Huffman coding of cluster indices and relative positions. Pruning is the `prune`
 * stage before it: the model's zeros stay zero. Writes model.onnx (what the file decodes to, so later
 * stages and the comparison can run it) and model.retort-dc, and reports the compressed size per
 * layer in the paper's P+Q+H layout.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { deepCompress, deepCompressionSummary, PAPER_INDEX_BITS } from '../../encode/index.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { RetortError } from '../../util/errors.js';
import { distillingTrainer } from '../joint/distillingTrainer.js';
import type { StageKind } from '../pipeline/stageKind.js';
import { finishCompressionStage, resumePoint, stageData } from './compressionOutput.js';
import { fineTuneSchema, hintonOptionsOf, trainerConfigOf } from './fineTuneKwargs.js';
import { resumable } from './resumable.js';

/** The .retort-dc file's name in the stage folder (output `encoded`). */
export const DEEP_COMPRESSED_FILE = 'model.retort-dc';

const clusters = (kind: string, paper: number) => z.number().int().min(2).max(65535).default(paper).describe(`k-means clusters per ${kind} layer (Han et al. 2016: ${paper})`);
const indexBits = (kind: string, paper: number) => z.number().int().min(1).max(16).default(paper).describe(`bits of a relative position in ${kind} layers (Han et al. 2016: ${paper}); a longer gap takes a filler entry`);

const deepCompressKwargsSchema = z.strictObject({
  clusters: z
    .strictObject({ conv: clusters('conv', 256), fc: clusters('fc', 32) })
    .prefault({})
    .describe('shared weights per layer: 8-bit cluster indices for conv, 5-bit for fc in the paper'),
  indexBits: z
    .strictObject({ conv: indexBits('conv', PAPER_INDEX_BITS.conv), fc: indexBits('fc', PAPER_INDEX_BITS.fc) })
    .prefault({})
    .describe('widths of the relative positions of the non-zero weights'),
  fineTune: fineTuneSchema
    .optional()
    .describe("centroid fine-tuning (Han et al. 2016, section 3.3): each centroid trained on its cluster's weights' gradients, pruned weights kept at zero; distilled from `teacher` when given"),
  centroidGradient: z
    .enum(['sum', 'mean'])
    .default('sum')
    .describe("what a centroid steps on: 'sum' of its members' gradients (the paper's eq. 3) or their 'mean' (a step independent of cluster size; use it when distilling, whose gradients diverge under 'sum' at lr 0.01 on LeNet-5)"),
});

export type DeepCompressKwargs = z.infer<typeof deepCompressKwargsSchema>;

export const deepCompressStage: StageKind<DeepCompressKwargs> = {
  key: 'deep-compress',
  summary: 'Deep Compression (Han et al. 2016) after pruning, as `retort compress-deep`: per-layer k-means weight sharing, optional centroid fine-tuning, Huffman coding; writes the decoded model.onnx and the .retort-dc file, and the compressed size per layer (P+Q+H)',
  inputs: [
    { name: 'model', kind: 'model', required: true, description: 'the float ONNX model (pruned by an earlier stage: its zeros are skipped and stay zero)' },
    { name: 'data', kind: 'data', required: false, description: 'training data for the centroid fine-tune and the test split the result is scored on' },
    { name: 'teacher', kind: 'model', required: false, description: 'a float model to distill from during the centroid fine-tune (Hinton loss, fineTune.distillation)' },
  ],
  outputs: ['model', 'encoded'],
  modelOutputs: ['model'],
  kwargs: deepCompressKwargsSchema,
  async run(ctx, kwargs) {
    const started = performance.now();
    const model = ctx.models.model!.model;
    const data = stageData(ctx, model);
    const { fineTune } = kwargs;
    if (fineTune && !data) throw new RetortError('BAD_ARGUMENT', 'deep-compress: fineTune needs the `data` input (inputs: { data: NAME })');
    const teacher = ctx.models.teacher?.model;
    const result = await resumable(ctx, 'deep-compress', fineTune !== undefined && resumePoint(ctx) !== undefined, (resume) =>
      deepCompress(model, {
        sharing: { clustersConv: kwargs.clusters.conv, clustersFc: kwargs.clusters.fc },
        indexBits: kwargs.indexBits,
        fineTune:
          fineTune && data
            ? {
                config: trainerConfigOf(fineTune, ctx, data.train.length),
                data: { train: data.train },
                open: teacher ? distillingTrainer(teacher, hintonOptionsOf(fineTune)) : undefined,
                resumeFrom: resume ? ctx.checkpoint : undefined,
                centroidGradient: kwargs.centroidGradient,
              }
            : undefined,
      }),
    );
    const encoded = join(ctx.dir, DEEP_COMPRESSED_FILE);
    writeFileAtomic(encoded, result.bytes);
    const summary = deepCompressionSummary(model, result);
    const { total } = summary;
    ctx.log(
      `deep-compress: ${summary.originalBytes} B ONNX -> ${summary.compressedBytes} B ${DEEP_COMPRESSED_FILE} (${summary.fileRatio.toFixed(2)}x); ` +
        `weights ${total.compressRatePQ.toFixed(2)}x (P+Q), ${total.compressRatePQH.toFixed(2)}x (P+Q+H), ${(100 * total.weightsFraction).toFixed(2)}% non-zero`,
    );
    const extra = {
      clusters: kwargs.clusters,
      indexBits: kwargs.indexBits,
      fineTuneEpochs: fineTune?.epochs ?? 0,
      distilled: Boolean(teacher && fineTune),
      sourceBytes: summary.originalBytes,
      compressedBytes: summary.compressedBytes,
      fileRatio: summary.fileRatio,
      compressRatePQ: total.compressRatePQ,
      compressRatePQH: total.compressRatePQH,
      // Han et al. 2016, Tables 2-5: per layer and in total.
      deepCompression: [...summary.layers, total],
    };
    const output = await finishCompressionStage(ctx, result.model, { data, started, extra });
    return { artifacts: { ...output.artifacts, encoded }, metrics: output.metrics };
  },
};
