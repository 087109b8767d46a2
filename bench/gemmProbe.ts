import { Graph } from '../src/onnx/graph.js';
import { newGraph, newModel, newValueInfo } from '../src/onnx/proto.js';
import { encodeModel } from '../src/onnx/model.js';
import { Session } from '../src/runtime/session.js';
import { floatTensor, type OrtTensor } from '../src/runtime/tensors.js';

const B = 128; const widths = [784, 800, 800, 10];
const g = new Graph(newGraph({ name: 'gemms' }));
const feeds: Record<string, OrtTensor> = {};
const inp = (name: string, dims: number[]) => { g.proto.input.push(newValueInfo({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } })); feeds[name] = floatTensor(new Float32Array(dims.reduce((a, b) => a * b, 1)).map(() => Math.random()), dims); return name; };
const outs: string[] = [];
for (let l = 0; l < 3; l++) {
  const x = inp(`x${l}`, [B, widths[l]!]); const w = inp(`w${l}`, [widths[l + 1]!, widths[l]!]); const dy = inp(`dy${l}`, [B, widths[l + 1]!]);
  g.addNode({ opType: 'Gemm', inputs: [x, w], outputs: [`y${l}`], attrs: { transB: 1 } });
  g.addNode({ opType: 'Gemm', inputs: [dy, x], outputs: [`dw${l}`], attrs: { transA: 1 } });
  g.addNode({ opType: 'Gemm', inputs: [dy, w], outputs: [`dx${l}`] });
  outs.push(`y${l}`, `dw${l}`, `dx${l}`);
}
g.proto.output = outs.map((name) => newValueInfo({ name }));
const model = newModel({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: g.proto });
const s = await Session.create(encodeModel(model));
const times: number[] = [];
for (let i = 0; i < 60; i++) { const t = performance.now(); await s.run(feeds, outs); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
console.log('gemms median', times[30]!.toFixed(2), 'p10', times[6]!.toFixed(2));
