/**
 * Ternary and binary weights trained with the straight-through estimator; activations stay float.
 * - TWN (Li, Zhang & Liu 2016, "Ternary Weight Networks"): per layer, Δ = 0.7·mean|W|, and
 *   α = mean of |W| over the weights with |W| > Δ; the forward pass uses α·sign(W)·[|W| > Δ].
 * - BinaryConnect (Courbariaux, Bengio & David 2015): sign(W) (+1 for W >= 0), here scaled by
 *   α = mean|W| per layer or per output channel (XNOR-Net's α, Rastegari et al. 2016) so layers keep
 *   their output scale without BatchNorm; latent weights are clipped to [-1, 1] after each update.
 * In both the backward pass is the identity to the latent float weights: dW = dY.
 */
import { GraphBuilder } from '../../autodiff/builder.js';
import { defaultOpset } from '../../autodiff/gradientModel.js';
import { Graph } from '../../onnx/graph.js';
import { decodeModel, encodeModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { quantHandlers } from '../handlers.js';
import { isExcluded, type Exclusions } from '../options.js';
import { reduceAll } from './fakeQuant.js';
import type { QatTrainerSettings } from './prepare.js';
import { StopGradients } from './straightThrough.js';

export type LowBitMethod =
  | { method: 'twn'; thresholdFactor: number }
  | { method: 'binary'; scale: 'per-layer' | 'per-channel' };
export const LOW_BIT_METHODS = ['twn', 'binary'] as const;

export interface LowBitOptions {
  weights: LowBitMethod;
  exclude?: Exclusions;
}

export interface LowBitSite {
  nodeIndex: number;
  inputIndex: number;
  weight: string;
  dims: number[];
  /** Output-channel axis (per-channel binary scales). */
  axis: number;
}

export interface LowBitModel {
  model: ModelProto;
  floatModel: ModelProto;
  options: LowBitOptions;
  sites: LowBitSite[];
  training: QatTrainerSettings;
}

export function checkLowBitOptions(options: LowBitOptions): void {
  const w = options.weights;
  if (!(LOW_BIT_METHODS as readonly string[]).includes(w.method)) throw new RetortError('BAD_ARGUMENT', `Low-bit method "${String((w as { method: string }).method)}". Should be one of: ${LOW_BIT_METHODS.join(', ')}`);
  if (w.method === 'twn' && !(w.thresholdFactor > 0 && w.thresholdFactor < 1)) throw new RetortError('BAD_ARGUMENT', `TWN threshold factor ${w.thresholdFactor} must be in (0, 1) (the paper uses 0.7)`);
  if (w.method === 'binary' && w.scale !== 'per-layer' && w.scale !== 'per-channel') throw new RetortError('BAD_ARGUMENT', `Binary scale "${String(w.scale)}". Should be one of: per-layer, per-channel`);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** α·sign(W)·[|W| > Δ] (TWN) or α·sign(W) (binary) as graph nodes; no gradient flows through it. */
function lowBitWeights(b: GraphBuilder, w: string, dims: readonly number[], axis: number, method: LowBitMethod): string {
  const abs = b.op('Abs', [w]);
  if (method.method === 'twn') {
    const threshold = b.scale(reduceAll(b, 'ReduceMean', abs), method.thresholdFactor);
    const kept = b.toFloat(b.op('Greater', [abs, threshold]));
    // α over the kept weights; max(count, 1) keeps an all-zero layer at α = 0 rather than NaN.
    const alpha = b.div(reduceAll(b, 'ReduceSum', b.mul(abs, kept)), b.op('Max', [reduceAll(b, 'ReduceSum', kept), b.constFloat(1)]));
    return b.mul(b.mul(b.op('Sign', [w]), kept), alpha);
  }
  const sign = b.where(b.greaterOrEqual(w, b.constFloat(0)), b.constFloat(1), b.constFloat(-1));
  const alpha = method.scale === 'per-layer' ? reduceAll(b, 'ReduceMean', abs) : b.reduceMean(abs, dims.map((_, i) => i).filter((i) => i !== axis), true);
  return b.mul(sign, alpha);
}

/** The training model: every weight of Conv/Gemm/MatMul (rank >= 2, not excluded) read through its ternary or binary form. */
export function insertLowBitWeights(source: ModelProto, options: LowBitOptions): LowBitModel {
  checkLowBitOptions(options);
  const floatModel = decodeModel(encodeModel(source));
  const floatGraph = new Graph(floatModel.graph!);
  floatGraph.sortNodes();
  const model = decodeModel(encodeModel(floatModel));
  const graph = new Graph(model.graph!);
  const nodes = [...graph.proto.node];
  const b = new GraphBuilder(graph, defaultOpset(model), 'lowbit/');
  const stops = new StopGradients(b);
  const sites: LowBitSite[] = [];
  floatGraph.proto.node.forEach((node, nodeIndex) => {
    if (!quantHandlers.has(node.opType) || isExcluded(node, options.exclude)) return;
    for (const w of quantHandlers.get(node.opType).weightInputs?.(node, floatGraph) ?? []) {
      const name = node.input[w.index];
      const tensor = name ? graph.initializer(name) : undefined;
      if (!tensor || tensor.dims.length < 2) continue;
      const dims = tensor.dims.map(Number);
      // Forward: the low-bit weights; backward: the identity to the latent weights.
      nodes[nodeIndex]!.input[w.index] = stops.straightThrough(lowBitWeights(b, name!, dims, w.axis, options.weights), name!);
      sites.push({ nodeIndex, inputIndex: w.index, weight: name!, dims, axis: w.axis });
    }
  });
  if (sites.length === 0) throw new RetortError('BAD_ARGUMENT', 'No Conv, Gemm or MatMul weight to ternarize or binarize (all excluded?)');
  graph.touch();
  graph.sortNodes();
  const training: QatTrainerSettings = { stopGradients: stops.values, buffers: [], extraParameters: [], parameterBounds: [] };
  if (options.weights.method === 'binary') training.parameterBounds.push({ parameters: `^(${sites.map((s) => escape(s.weight)).join('|')})$`, min: -1, max: 1 });
  return { model, floatModel, options, sites, training };
}
