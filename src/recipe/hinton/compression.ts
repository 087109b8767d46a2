/**
 * Compression stages that follow distillation in the demo: pruning, then int8 quantization of the
 * distilled student. Each reads a model the pipeline already made and writes a new ONNX that is
 * measured like the others. They slot in here as their methods land (src/prune/, src/quantize/);
 * until then each says why it cannot run, and the demo prints that instead of pretending.
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { StageContext } from './stages.js';

export interface CompressionInput {
  /** The distilled student (or the output of the previous compression stage). */
  model: ModelProto;
  ctx: StageContext;
}

export type CompressionStage =
  | { name: string; description: string; available: true; file: string; run: (input: CompressionInput) => Promise<{ model: ModelProto; metrics: Record<string, unknown> }> }
  | { name: string; description: string; available: false; reason: string };

export const COMPRESSION_STAGES: readonly CompressionStage[] = [
  {
    name: 'prune',
    description: 'magnitude pruning of the distilled student, fine-tuned with the distillation loss',
    available: false,
    reason: 'retort has no pruning method yet (src/prune/ is empty)',
  },
  {
    name: 'quantize-int8',
    description: 'int8 QDQ quantization of the (pruned) distilled student, calibrated on training images',
    available: false,
    reason: 'retort has no quantizer yet (src/quantize/ is empty)',
  },
];
