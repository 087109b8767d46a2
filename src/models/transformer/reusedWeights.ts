/**
 * A TransformerGraph whose parameters are another model's initializers — the same tensors, not
 * copies — looked up by name as the builder asks for them. The builders then re-emit a trained (or
 * pruned) model's graph around its own weights: to check that a model is what the builder makes
 * (transformer/gptShape.ts) and to build a variant of it, such as the KV-cached decode step
 * (transformer/decodeStep.ts). Constants (shapes, scales) are the builder's own.
 */
import { DataType } from '../../onnx/dtype.js';
import type { Graph } from '../../onnx/graph.js';
import type { ValueInfoProto } from '../../onnx/proto.js';
import { isExternal, tensorDims } from '../../onnx/tensor.js';
import { RetortError } from '../../util/errors.js';
import { TransformerGraph } from './layers.js';

export class ReusedWeightsGraph extends TransformerGraph {
  constructor(name: string, inputs: ValueInfoProto[], private readonly source: Graph) {
    super(name, inputs, 0);
  }

  /** The source's float initializer `name`, which must have exactly `dims`; the initialization is ignored. */
  override parameter(name: string, dims: readonly number[]): string {
    const tensor = this.source.initializer(name);
    const where = `"${this.source.proto.name}"`;
    if (!tensor) throw new RetortError('GRAPH_INVALID', `Model ${where} has no initializer "${name}"`);
    const actual = tensorDims(tensor);
    if (tensor.dataType !== DataType.FLOAT || isExternal(tensor) || actual.join() !== dims.join()) {
      throw new RetortError('GRAPH_INVALID', `Model ${where}: initializer "${name}" is not float [${dims.join(', ')}] held in the model (type ${tensor.dataType}, dims [${actual.join(', ')}])`);
    }
    this.graph.addInitializer(tensor);
    return name;
  }
}
