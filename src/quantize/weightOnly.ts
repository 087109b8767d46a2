/**
 * Weight-only block quantization: every MatMul/Gemm with a constant weight becomes ORT's
 * com.microsoft.MatMulNBits (attributes K, N, bits, block_size; inputs A, B packed uint8
 * [N, blocks, blockSize * bits / 8], scales [N * blocks], optional packed zero points), as
 * transformers.js `q4` models store them. Activations stay float. A Gemm bias becomes an Add.
 * Zero points are written only for asymmetric blocks; symmetric ones use the op's default 2^(bits-1).
 */
import { Graph } from '../onnx/graph.js';
import { decodeModel, encodeModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeTensor } from '../onnx/tensor.js';
import { RetortError } from '../util/errors.js';
import { packCodes, packZeroPoints, quantizeBlocks, type BlockQuantized } from './blockQuant.js';
import { augmentForCalibration } from './calibration/collect.js';
import type { CalibrationDataReader } from './calibration/reader.js';
import { ensureMsOpset, MS_DOMAIN } from './dynamic.js';
import { gptqQuantizeBlocks, HessianAccumulator } from './gptq.js';
import { matMulFormOf, releaseWeight, transpose2d, type MatMulForm } from './matMulForm.js';
import { isExcluded, type WeightOnlyOptions } from './options.js';
import { Session, type Feeds } from '../runtime/session.js';

export interface WeightOnlyResult {
  model: ModelProto;
  quantizedNodes: string[];
}

/** Add the MatMulNBits initializers and node for one quantized weight; returns the node's inputs. */
export function matMulNBitsInputs(graph: Graph, base: string, q: BlockQuantized): string[] {
  const blob = (q.blockSize * q.bits) / 8;
  const b = graph.uniqueName(`${base}_Q${q.bits}`);
  const scales = graph.uniqueName(`${base}_scales`);
  graph.addInitializer(makeTensor(b, [q.n, q.blocksPerRow, blob], packCodes(q.codes, q.bits)));
  graph.addInitializer(makeTensor(scales, [q.n * q.blocksPerRow], q.scales));
  if (q.symmetric) return [b, scales];
  const zeroPoints = graph.uniqueName(`${base}_zp`);
  const packed = packZeroPoints(q);
  graph.addInitializer(makeTensor(zeroPoints, [packed.length], packed));
  return [b, scales, zeroPoints];
}

/** X·Xᵀ accumulators for the activations feeding each weight, over the calibration set. */
async function calibrationHessians(model: ModelProto, forms: readonly MatMulForm[], reader: CalibrationDataReader): Promise<Map<string, HessianAccumulator>> {
  const inputs = [...new Set(forms.map((f) => f.activation))];
  const { model: augmented } = augmentForCalibration(model, inputs, 'histogram');
  const session = await Session.create(encodeModel(augmented), { name: 'GPTQ calibration graph' });
  const accumulators = new Map(forms.map((f) => [f.activation, new HessianAccumulator(f.k)]));
  try {
    for (let feeds: Feeds | null = reader.next(); feeds !== null; feeds = reader.next()) {
      const fetches = inputs.filter((i) => !(i in feeds!));
      const results = await session.run(feeds, fetches);
      for (const input of inputs) accumulators.get(input)!.add((results[input] ?? feeds[input]!).data as Float32Array);
    }
  } finally {
    await session.dispose();
  }
  return accumulators;
}

export async function quantizeWeightOnly(source: ModelProto, options: WeightOnlyOptions, reader?: CalibrationDataReader): Promise<WeightOnlyResult> {
  const model = decodeModel(encodeModel(source));
  const graph = new Graph(model.graph!);
  const targets = graph.nodes
    .filter((node) => !isExcluded(node, options.exclude))
    .map((node) => ({ node, form: matMulFormOf(node, graph) }))
    .filter((t): t is { node: typeof t.node; form: MatMulForm } => t.form !== undefined);
  let hessians: Map<string, HessianAccumulator> | undefined;
  if (options.algorithm.kind === 'gptq') {
    if (!reader) throw new RetortError('BAD_ARGUMENT', 'GPTQ needs calibration data (--calibration-data); without it use round-to-nearest');
    hessians = await calibrationHessians(model, targets.map((t) => t.form), reader);
  }
  const scheme = { bits: options.bits, blockSize: options.blockSize, symmetric: options.symmetric };
  const quantizedNodes: string[] = [];
  for (const { node, form } of targets) {
    const weightNK = transpose2d(form.weight, form.k, form.n);
    const q = hessians && options.algorithm.kind === 'gptq'
      ? gptqQuantizeBlocks(weightNK, form.n, form.k, hessians.get(form.activation)!.hessian(), scheme, options.algorithm.damping)
      : quantizeBlocks(weightNK, form.n, form.k, scheme);
    const base = form.weightName;
    const output = node.output[0]!;
    const product = form.bias ? graph.uniqueName(`${output}_MatMulNBits`) : output;
    const matmul = graph.addNode({
      opType: 'MatMulNBits',
      domain: MS_DOMAIN,
      inputs: [form.activation, ...matMulNBitsInputs(graph, base, q)],
      outputs: [product],
      attrs: { K: form.k, N: form.n, bits: options.bits, block_size: options.blockSize },
      name: graph.uniqueName(`${node.name || base}_MatMulNBits`),
    });
    const replacements = [matmul];
    if (form.bias) replacements.push(graph.addNode({ opType: 'Add', inputs: [product, form.bias], outputs: [output], name: graph.uniqueName(`${node.name || base}_bias`) }));
    for (const r of replacements) graph.removeNode(r);
    graph.replaceNode(node, replacements);
    releaseWeight(graph, form);
    quantizedNodes.push(node.name);
  }
  ensureMsOpset(model);
  return { model, quantizedNodes };
}
