/** The one import of onnxruntime-node in retort (DESIGN.md: runtime/ is its only importer). */
import * as ort from 'onnxruntime-node';

export { ort };
export type OrtTensor = ort.Tensor;
export type OrtTensorType = ort.Tensor.Type;
