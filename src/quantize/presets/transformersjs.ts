/**
 * The dtype variants transformers.js loads by name (`dtype: 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' |
 * 'q4f16'` -> `onnx/model_<suffix>.onnx`, suffixes as in transformers.js's scripts/quantize.py), each
 * with its size and how closely its outputs follow the float model on one batch.
 *
 * Dynamic variants follow that script: per-tensor weights, int8 weights symmetric and uint8 weights
 * asymmetric (ORT's defaults). Convolutions always get uint8 weights: onnxruntime-web has no ConvInteger
 * kernel for int8 weights, and the script makes the same choice for q8 on models with a Conv.
 * q4 is MatMulNBits, 4 bits, blocks of 32, symmetric (the script's MatMul4BitsQuantizer defaults).
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { Session, type Feeds } from '../../runtime/session.js';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { outputAgreement, type OutputAgreement } from '../agreement.js';
import { quantizeDynamic } from '../dynamic.js';
import { convertToFp16 } from '../fp16.js';
import type { QuantType } from '../affine.js';
import { quantizeWeightOnly } from '../weightOnly.js';

export type TransformersJsDtype = 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16';

/** Why a variant has no file: the transform found nothing it applies to. */
class NotApplicable extends Error {}

interface VariantSpec {
  dtype: TransformersJsDtype;
  file: string;
  description: string;
  build(model: ModelProto): Promise<ModelProto>;
}

function dynamicVariant(weightType: QuantType) {
  return async (model: ModelProto): Promise<ModelProto> => {
    const result = quantizeDynamic(model, {
      method: 'dynamic',
      weights: { symmetric: weightType === 'int8', granularity: 'per-tensor' },
      weightType,
      conv: { weightType: 'uint8' },
    });
    if (result.quantizedNodes.length === 0) throw new NotApplicable('no MatMul, Gemm or Conv with a constant weight to quantize');
    return result.model;
  };
}

async function q4(model: ModelProto): Promise<ModelProto> {
  const result = await quantizeWeightOnly(model, { method: 'weight-only', bits: 4, blockSize: 32, symmetric: true, algorithm: { kind: 'rtn' } });
  if (result.quantizedNodes.length === 0) throw new NotApplicable('no MatMul or Gemm with a constant 2-D weight for MatMulNBits');
  return result.model;
}

const fp16 = (model: ModelProto): Promise<ModelProto> => convertToFp16(model, { method: 'fp16', keepFp32Io: 'all' });

export const TRANSFORMERS_JS_VARIANTS: readonly VariantSpec[] = [
  { dtype: 'fp16', file: 'model_fp16.onnx', description: 'float16 weights and compute, float32 inputs/outputs', build: fp16 },
  { dtype: 'q8', file: 'model_quantized.onnx', description: 'dynamic: int8 MatMul/Gemm weights, uint8 Conv weights', build: dynamicVariant('int8') },
  { dtype: 'int8', file: 'model_int8.onnx', description: 'dynamic: int8 MatMul/Gemm weights, uint8 Conv weights', build: dynamicVariant('int8') },
  { dtype: 'uint8', file: 'model_uint8.onnx', description: 'dynamic: uint8 weights', build: dynamicVariant('uint8') },
  { dtype: 'q4', file: 'model_q4.onnx', description: 'MatMulNBits 4-bit, block 32, symmetric; other ops float32', build: q4 },
  { dtype: 'q4f16', file: 'model_q4f16.onnx', description: 'q4, then the rest in float16', build: async (model) => fp16(await q4(model)) },
];

export type VariantEntry =
  | { dtype: TransformersJsDtype; file: string; status: 'written'; description: string; bytes: number; gzipBytes: number; agreement: OutputAgreement }
  | { dtype: TransformersJsDtype; file: string; status: 'skipped'; description: string; reason: string };

export interface TransformersJsManifest {
  float: { bytes: number; gzipBytes: number };
  /** What the agreement was measured on (e.g. "64 MNIST training images"). */
  agreementBatch: string;
  output: string;
  variants: VariantEntry[];
}

async function firstOutput(bytes: Uint8Array, feeds: Feeds, threads: number): Promise<{ name: string; data: Float32Array; classes: number }> {
  const session = await Session.create(bytes, { threads, name: 'transformers.js variant' });
  try {
    const name = session.outputNames[0]!;
    const out = (await session.run(feeds, [name]))[name]!;
    const dims = out.dims;
    return { name, data: Float32Array.from(out.data as ArrayLike<number>), classes: dims.length > 0 ? Number(dims[dims.length - 1]) : 1 };
  } finally {
    await session.dispose();
  }
}

export interface TransformersJsOptions {
  outDir: string;
  /** One batch of the model's inputs for the agreement numbers, and what it is. */
  agreementFeeds: Feeds;
  agreementBatch: string;
  threads: number;
}

/** Writes every applicable variant and manifest.json into outDir (created by the caller). */
export async function writeTransformersJsVariants(model: ModelProto, options: TransformersJsOptions): Promise<TransformersJsManifest> {
  const floatBytes = encodeModel(model);
  const reference = await firstOutput(floatBytes, options.agreementFeeds, options.threads);
  const variants: VariantEntry[] = [];
  for (const spec of TRANSFORMERS_JS_VARIANTS) {
    let variant: ModelProto;
    try {
      variant = await spec.build(model);
    } catch (error) {
      if (!(error instanceof NotApplicable)) throw error;
      variants.push({ dtype: spec.dtype, file: spec.file, status: 'skipped', description: spec.description, reason: error.message });
      continue;
    }
    const bytes = encodeModel(variant);
    writeFileAtomic(join(options.outDir, spec.file), bytes);
    const out = await firstOutput(bytes, options.agreementFeeds, options.threads);
    variants.push({
      dtype: spec.dtype, file: spec.file, status: 'written', description: spec.description,
      bytes: bytes.byteLength, gzipBytes: gzipSync(bytes, { level: 9 }).byteLength,
      agreement: outputAgreement(reference.data, out.data, reference.classes),
    });
  }
  const manifest: TransformersJsManifest = {
    float: { bytes: floatBytes.byteLength, gzipBytes: gzipSync(floatBytes, { level: 9 }).byteLength },
    agreementBatch: options.agreementBatch,
    output: reference.name,
    variants,
  };
  writeFileAtomic(join(options.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
