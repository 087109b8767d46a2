/**
 * Importance of attention heads, MLP neurons and whole layers (higher = keep).
 *
 * 'activation' (Minitron: Muralidharan et al. 2024, "Compact Language Models via Pruning and
 * Knowledge Distillation", §2.2) scores each unit by the activations it produces on calibration
 * windows: a head by its attention output softmax(q kᵀ/√d)·v (what the output projection reads), a
 * neuron by the MLP activation fc2 reads. Per channel c, s_c = √(Σ_batch (mean_seq |a_c|)²): mean over
 * the sequence, L2 over the batch, as NVIDIA Model Optimizer's Minitron implementation aggregates
 * (its MegatronL2NormHook); a head's score is the L2 norm of its d_head channels' s_c. A layer is
 * scored by its Block Influence, BI = 1 − E_tokens[cos(x_in, x_out)] of the residual stream entering
 * and leaving it (ShortGPT: Men et al. 2024; Minitron's depth-pruning metric): a block that barely
 * turns the residual stream can go. All reductions run in ORT as extra graph outputs (|a| averaged
 * over the sequence, cosine per token), so only [batch, units] and [batch, seq] arrays reach JavaScript.
 *
 * 'weight' is the data-free option: the L1/L2 norm of the weights that compute a unit (q, k, v columns
 * of a head, fc1 columns of a neuron: Li et al. 2017's filter norms) and, for a layer, the mean |w| or
 * RMS of all its weights (blocks.ts).
 */
import { GraphBuilder } from '../../../autodiff/builder.js';
import { cloneForEditing, defaultOpset } from '../../../autodiff/gradientModel.js';
import { Graph } from '../../../onnx/graph.js';
import { encodeModel } from '../../../onnx/model.js';
import { newValueInfo, type ModelProto } from '../../../onnx/proto.js';
import { Session, type Feeds } from '../../../runtime/session.js';
import { readFloats } from '../../../runtime/tensors.js';
import type { ValueShape } from '../../../runtime/shapeInference.js';
import { RetortError } from '../../../util/errors.js';
import { branchImportance } from '../blocks.js';
import { channelImportance, elementScores } from '../importance.js';
import { headGroup } from './heads.js';
import type { TransformerLayer } from './layers.js';

export type WeightNorm = 'l1' | 'l2';

export type TransformerImportance =
  /** Minitron's activation statistics over calibration batches (the model's inputs: token windows). */
  | { kind: 'activation'; batches: readonly Feeds[]; threads?: number }
  | { kind: 'weight'; norm: WeightNorm };

export interface LayerImportance {
  /** One score per head. */
  heads: Float64Array;
  /** One score per hidden unit, per MLP group of the layer. */
  mlp: Float64Array[];
  /** The layer's score as a whole; undefined when it cannot be dropped. */
  block?: number;
}

export async function layerImportance(model: ModelProto, layers: readonly TransformerLayer[], shapes: ReadonlyMap<string, ValueShape>, importance: TransformerImportance): Promise<LayerImportance[]> {
  return importance.kind === 'weight' ? weightImportance(model, layers, importance.norm) : activationImportance(model, layers, shapes, importance.batches, importance.threads ?? 0);
}

async function weightImportance(model: ModelProto, layers: readonly TransformerLayer[], norm: WeightNorm): Promise<LayerImportance[]> {
  const scores = await elementScores(model, norm);
  return layers.map((layer) => {
    const parameters = [...(layer.attentionBranch?.parameters ?? []), ...(layer.mlpBranch?.parameters ?? [])];
    return {
      heads: channelImportance(headGroup(layer.attention), norm, scores),
      mlp: layer.mlp.map((m) => channelImportance(m.group, norm, scores)),
      block: layer.residual ? branchImportance({ add: '', shortcut: '', nodes: [], parameters }, norm, scores) : undefined,
    };
  });
}

interface Probe {
  layer: number;
  kind: 'heads' | 'mlp' | 'block';
  group: number;
  output: string;
}

async function activationImportance(model: ModelProto, layers: readonly TransformerLayer[], shapes: ReadonlyMap<string, ValueShape>, batches: readonly Feeds[], threads: number): Promise<LayerImportance[]> {
  if (batches.length === 0) throw new RetortError('BAD_ARGUMENT', 'Activation importance needs calibration batches (token windows); give calibration data or use weight-norm importance');
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const b = new GraphBuilder(graph, defaultOpset(copy), 'importance/');
  const rank = (value: string): number => {
    const dims = shapes.get(value)?.dims;
    if (!dims) throw new RetortError('SHAPE_UNKNOWN', `Importance: no shape known for "${value}"`);
    return dims.length;
  };
  // mean over the sequence axes of |a|: [batch, ..., units] -> [batch, units].
  const meanAbs = (value: string, axes: readonly number[]): string => {
    const magnitude = b.op('Abs', [value]);
    return axes.length > 0 ? b.reduceMean(magnitude, axes, false) : magnitude;
  };
  const probes: Probe[] = [];
  layers.forEach((layer, index) => {
    // The per-head output [B, H, T, D]: mean over T.
    probes.push({ layer: index, kind: 'heads', group: 0, output: meanAbs(layer.attention.context, [2]) });
    layer.mlp.forEach((m, group) => {
      const r = rank(m.activation);
      probes.push({ layer: index, kind: 'mlp', group, output: meanAbs(m.activation, Array.from({ length: r - 2 }, (_, i) => i + 1)) });
    });
    if (layer.residual) {
      const { input: x, output: y } = layer.residual;
      const last = [rank(x) - 1];
      const dot = b.reduceSum(b.mul(x, y), last, false);
      const norms = b.mul(b.reduceSum(b.mul(x, x), last, false), b.reduceSum(b.mul(y, y), last, false));
      const cosine = b.div(dot, b.sqrt(b.op('Max', [norms, b.constFloat(1e-30)])));
      probes.push({ layer: index, kind: 'block', group: 0, output: cosine });
    }
  });
  for (const p of probes) graph.proto.output.push(newValueInfo({ name: p.output }));
  graph.touch();
  const sums = probes.map(() => ({ squares: undefined as Float64Array | undefined, total: 0, count: 0 }));
  const session = await Session.create(encodeModel(copy), { name: 'activation importance', threads });
  try {
    for (const batch of batches) {
      const results = await session.run(batch, probes.map((p) => p.output));
      probes.forEach((probe, i) => {
        const tensor = results[probe.output]!;
        const values = readFloats(tensor, probe.output);
        const sum = sums[i]!;
        if (probe.kind === 'block') {
          for (const c of values) sum.total += 1 - c;
          sum.count += values.length;
          return;
        }
        // [batch, units...]: the sum over the batch of squared means, per unit.
        const units = values.length / tensor.dims[0]!;
        sum.squares ??= new Float64Array(units);
        for (let j = 0; j < values.length; j++) sum.squares[j % units]! += values[j]! * values[j]!;
      });
    }
  } finally {
    await session.dispose();
  }
  return layers.map((layer, index) => {
    const of = (kind: Probe['kind'], group = 0) => sums[probes.findIndex((p) => p.layer === index && p.kind === kind && p.group === group)];
    const { heads, headDim } = layer.attention;
    const channels = of('heads')!.squares!;
    const headScores = Float64Array.from({ length: heads }, (_, h) => Math.sqrt(channels.subarray(h * headDim, (h + 1) * headDim).reduce((a, x) => a + x, 0)));
    const block = of('block');
    return {
      heads: headScores,
      mlp: layer.mlp.map((_, group) => Float64Array.from(of('mlp', group)!.squares!, Math.sqrt)),
      block: block ? block.total / block.count : undefined,
    };
  });
}
