/**
 * Latency of a model before and after structured pruning: batch 64, one process, ORT CPU, median of
 * interleaved timed runs (so both models see the same machine load). Usage:
 *   node dist/bench/structuredSpeedup.bench.js ORIGINAL.onnx PRUNED.onnx [runs] [threads]
 */
import { encodeModel, loadModel } from '../src/onnx/model.js';
import { Session } from '../src/runtime/session.js';
import { resolveInputShapes, sampleFeeds } from '../src/runtime/shapeInference.js';

const [originalPath, prunedPath, runsText = '200', threadsText = '1'] = process.argv.slice(2);
if (!originalPath || !prunedPath) throw new Error('usage: structuredSpeedup.bench.js ORIGINAL.onnx PRUNED.onnx [runs] [threads]');
const runs = Number(runsText);
const threads = Number(threadsText);
const sessions = [];
for (const path of [originalPath, prunedPath]) {
  const model = loadModel(path);
  const session = await Session.create(encodeModel(model), { threads });
  sessions.push({ path, session, feeds: sampleFeeds(model, resolveInputShapes(model, {}, 64), 0), times: [] as number[] });
}
for (const s of sessions) for (let i = 0; i < 20; i++) await s.session.run(s.feeds);
for (let i = 0; i < runs; i++) {
  for (const s of sessions) {
    const start = process.hrtime.bigint();
    await s.session.run(s.feeds);
    s.times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [a, b] = sessions.map((s) => median(s.times)) as [number, number];
console.log(JSON.stringify({ batch: 64, threads, runs, originalMs: a, prunedMs: b, speedup: a / b }));
