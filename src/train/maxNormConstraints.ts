/**
 * Max-norm constraints for every weight matrix or kernel of a model (Srivastava et al. 2014,
 * section 5.1), each on the axis that indexes output units. Shared by `retort train --max-norm`
 * and the Hinton recipe's teacher.
 */
import { attrInt } from '../onnx/attributes.js';
import { Graph } from '../onnx/graph.js';
import { listParameters } from '../onnx/parameters.js';
import type { ModelProto } from '../onnx/proto.js';
import type { MaxNormConstraint } from './optimizers/index.js';

/**
 * One max-norm constraint per weight matrix or kernel (rank >= 2), on the axis indexing output
 * units: 0 for PyTorch layouts (Gemm transB=1, Conv), 1 for MatMul / Gemm transB=0 weights [in, out].
 */
export function maxNormConstraints(model: ModelProto, maxNorm: number): MaxNormConstraint[] {
  const graph = new Graph(model.graph!);
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return listParameters(graph)
    .filter((p) => p.dims.length >= 2)
    .map((p) => {
      const inOut = graph
        .consumersOf(p.name)
        .some((n) => n.input[1] === p.name && (n.opType === 'MatMul' || (n.opType === 'Gemm' && attrInt(n, 'transB', 0) === 0)));
      return { parameters: `^${escape(p.name)}$`, maxNorm, unitAxis: inOut ? 1 : 0 };
    });
}
