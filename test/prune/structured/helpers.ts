import { encodeModel } from '../../../src/onnx/model.js';
import type { ModelProto } from '../../../src/onnx/proto.js';
import { estimateMacs } from '../../../src/eval/macs.js';
import { Session, type Feeds } from '../../../src/runtime/session.js';

export async function runFirstOutput(model: ModelProto, feeds: Feeds): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await Session.create(encodeModel(model));
  try {
    const out = Object.values(await session.run(feeds))[0]!;
    return { data: out.data as Float32Array, dims: out.dims };
  } finally {
    await session.dispose();
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? d : Infinity;
}

export const countMacs = async (model: ModelProto): Promise<number> => (await estimateMacs(model)).total;
