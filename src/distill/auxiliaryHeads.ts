/**
 * Self-distillation through auxiliary classifiers, "Be Your Own Teacher" (Zhang et al. 2019): linear
 * classifier heads are attached to chosen intermediate values of a network, every head learns from
 * the labels, and every shallow head also learns from the deepest classifier (the network's own
 * output) as its teacher:
 *   L = CE(q_C, y) + Σ_{i<C} [(1 - α) CE(q_i, y) + α T^2 KL(q_C^T || q_i^T)]
 * The deepest classifier's distribution passes through a stop-gradient inside the KL (it teaches; the
 * heads do not pull it towards themselves); the heads' gradients reach the shared layers below them,
 * which is the point. The paper's feature hint (L2 between head features and the deepest features)
 * and its bottleneck heads are left out: a head here is global average pooling (for [N, C, H, W]
 * values) or the value itself ([N, F]), then one Gemm. Heads are removed at export.
 */
import { GraphBuilder } from '../autodiff/builder.js';
import { cloneForEditing, defaultOpset } from '../autodiff/gradientModel.js';
import { Graph } from '../onnx/graph.js';
import { newValueInfo, type ModelProto } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../runtime/shapeInference.js';
import { softmaxCrossEntropy, LABELS_INPUT, type LossContext, type LossSpec, type LossTerm } from '../train/losses.js';
import { Trainer, type TrainData, type TrainerConfig, type TrainResult } from '../train/trainer.js';
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/** Every node, weight and output of a head is named under this prefix, so removal is by name. */
export const AUX_PREFIX = 'aux/';
export const auxiliaryLogits = (value: string): string => `${AUX_PREFIX}${value}/logits`;

export interface AuxiliaryHeadOptions {
  /** Intermediate value names to attach heads to, shallow to deep. */
  values: readonly string[];
  seed: number;
}

/** A copy of the model with a classifier head on each value; the heads' logits are extra outputs after the model's own. */
export async function attachAuxiliaryHeads(model: ModelProto, options: AuxiliaryHeadOptions): Promise<ModelProto> {
  if (options.values.length === 0) throw new RetortError('BAD_ARGUMENT', 'No values to attach auxiliary heads to');
  const copy = cloneForEditing(model);
  const graph = new Graph(copy.graph!);
  const shapes = await inferShapes(copy, sampleFeeds(copy, resolveInputShapes(copy, {}, 1)));
  const output = graph.outputs[0]!.name;
  const outputDims = shapes.get(output)?.dims;
  if (!outputDims || outputDims.length !== 2) throw new RetortError('BAD_ARGUMENT', `Auxiliary heads need a classifier with logits [N, classes]; "${output}" is [${outputDims?.join(', ') ?? '?'}]`);
  const classes = outputDims[1]!;
  const b = new GraphBuilder(graph, defaultOpset(copy), AUX_PREFIX);
  const rng = new Rng(options.seed);
  for (const value of options.values) {
    const dims = shapes.get(value)?.dims;
    if (!dims) {
      const known = graph.nodes.flatMap((n) => n.output).filter((o) => shapes.get(o)?.type === 'float32');
      throw new RetortError('UNKNOWN_KEY', `No float value "${value}" in the model to attach a head to. Values: ${known.join(', ')}`);
    }
    if (value === output) throw new RetortError('BAD_ARGUMENT', `"${value}" is the model's output, the deepest classifier itself; choose an intermediate value`);
    let features: string;
    if (dims.length === 4) features = b.op('Flatten', [b.op('GlobalAveragePool', [value])], { axis: 1 });
    else if (dims.length === 2) features = value;
    else throw new RetortError('BAD_ARGUMENT', `Auxiliary head on "${value}" of dims [${dims.join(', ')}]: need [N, F] or [N, C, H, W]`);
    const width = dims[1]!;
    // PyTorch nn.Linear's default init, U(±1/sqrt(fan_in)), seeded per head in order.
    const bound = 1 / Math.sqrt(width);
    const draw = (count: number) => Float32Array.from({ length: count }, () => (2 * rng.next() - 1) * bound);
    const weight = `${AUX_PREFIX}${value}/weight`;
    const bias = `${AUX_PREFIX}${value}/bias`;
    graph.addInitializer(makeTensor(weight, [classes, width], draw(classes * width)));
    graph.addInitializer(makeTensor(bias, [classes], draw(classes)));
    graph.addNode({ opType: 'Gemm', inputs: [features, weight, bias], outputs: [auxiliaryLogits(value)], name: `${AUX_PREFIX}${value}/gemm`, attrs: { transB: 1 } });
    copy.graph!.output.push(newValueInfo({ name: auxiliaryLogits(value) }));
  }
  graph.touch();
  return copy;
}

/** The model without its auxiliary heads (their nodes, weights and outputs). */
export function removeAuxiliaryHeads(model: ModelProto): ModelProto {
  const copy = cloneForEditing(model);
  const g = copy.graph!;
  const isAux = (name: string) => name.startsWith(AUX_PREFIX);
  g.node = g.node.filter((n) => !n.output.some(isAux));
  g.initializer = g.initializer.filter((t) => !isAux(t.name));
  g.output = g.output.filter((o) => !isAux(o.name));
  g.valueInfo = g.valueInfo.filter((v) => !isAux(v.name));
  return copy;
}

export interface SelfDistillationOptions {
  /** Weight α of the KL to the deepest classifier in each shallow head's loss; the head's CE gets 1 - α. */
  alpha: number;
  temperature: number;
}

/** BYOT's objective over the deepest logits (the model's output) and the heads' logits. */
export function selfDistillationLoss(headLogits: readonly string[], options: SelfDistillationOptions): LossSpec {
  const { alpha, temperature } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RetortError('BAD_ARGUMENT', `Self-distillation alpha must be in [0, 1], got ${alpha}`);
  if (!(temperature > 0)) throw new RetortError('BAD_ARGUMENT', `Self-distillation temperature must be positive, got ${temperature}`);
  return {
    kind: 'subgraph',
    build: (ctx: LossContext): LossTerm => {
      const { b } = ctx;
      const deepest = ctx.modelOutput;
      const dims = ctx.shape(deepest);
      const positions = dims.slice(0, -1).reduce((a, c) => a * c, 1);
      const soften = (x: string) => b.op('LogSoftmax', [temperature === 1 ? x : b.scale(x, 1 / temperature)], { axis: -1 });
      const main = softmaxCrossEntropy(ctx, deepest, 'index', LABELS_INPUT);
      const teacher = b.identity(soften(deepest));
      const metrics: Record<string, string> = { ...main.metrics };
      const parts = [main.value];
      headLogits.forEach((head, i) => {
        const hard = softmaxCrossEntropy(ctx, head, 'index', LABELS_INPUT);
        const kl = b.reduceSum(b.mul(b.exp(teacher), b.sub(teacher, soften(head))), dims.map((_, d) => d), false);
        const soft = b.scale(kl, (alpha * temperature * temperature) / positions);
        metrics[`correct:head${i}`] = hard.metrics.correct!;
        metrics[`kd:head${i}`] = soft;
        parts.push(alpha === 1 ? soft : b.add(b.scale(hard.value, 1 - alpha), soft));
      });
      return { value: b.sum(parts), inputs: main.inputs, stopGradients: [teacher], metrics };
    },
  };
}

export interface SelfDistillationRun {
  student: ModelProto;
  data: TrainData;
  trainer: Omit<TrainerConfig, 'loss'>;
  heads: readonly string[];
  options: SelfDistillationOptions;
}

export interface SelfDistillationResult extends TrainResult {
  /** The trained model with its heads (to measure each head). */
  withHeads: ModelProto;
}

/** Train with heads attached; `model` is the trained network with the heads removed. */
export async function trainWithAuxiliaryHeads(run: SelfDistillationRun, resumeFrom?: string): Promise<SelfDistillationResult> {
  const withHeads = await attachAuxiliaryHeads(run.student, { values: run.heads, seed: run.trainer.seed });
  const config: TrainerConfig = { ...run.trainer, loss: selfDistillationLoss(run.heads.map(auxiliaryLogits), run.options) };
  const trainer = await Trainer.create(withHeads, config, run.data, { resumeFrom });
  try {
    const result = await trainer.fit();
    return { ...result, withHeads: result.model, model: removeAuxiliaryHeads(result.model) };
  } finally {
    await trainer.dispose();
  }
}
