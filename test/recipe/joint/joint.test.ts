/**
 * The joint prune + quantize + distill flow (src/recipe/joint/flow.ts) and its stage kind `joint`,
 * on MLPs and the first 1000 MNIST images for 20 steps: the export is an int8 QDQ model in which
 * every masked weight is code 0, the masks reach the AGP target exactly, and a run killed mid-way
 * resumes from its checkpoint (trainer state and masks) to the same bytes as an uninterrupted run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { subset } from '../../../src/data/dataset.js';
import { loadDataSource } from '../../../src/data/sources.js';
import { Graph } from '../../../src/onnx/graph.js';
import { readTensor } from '../../../src/onnx/tensor.js';
import { modelCalibrationReader } from '../../../src/quantize/calibration/reader.js';
import { defaultQatOptions } from '../../../src/quantize/qat/options.js';
import { agpOverRun, jointPruneQuantizeDistill } from '../../../src/recipe/joint/flow.js';
import { stageKinds } from '../../../src/recipe/stages/index.js';
import { jointStage, type JointKwargs } from '../../../src/recipe/stages/joint.js';
import { assertRunsInOrt, builtModel, opTypes, sameBytes, trainedModel } from '../stages/compressionModels.js';
import { stageContext, tempDir } from '../stages/context.js';

const kwargs = (k: Record<string, unknown>): JointKwargs => jointStage.kwargs.parse(k);
// 1000 images in batches of 100: 10 steps per epoch, 20 in all; masks updated every 3 steps up to step 15.
const settings = {
  training: { epochs: 2, batchSize: 100, optimizer: { key: 'sgd', kwargs: { lr: 0.1 } }, distillation: { temperature: 4, alpha: 0.3 } },
  pruning: { sparsity: 0.75, frequency: 3 },
  quantization: { calibrationSamples: 256, calibrator: { key: 'percentile', kwargs: { percentile: 99.9 } } },
};

test('the flow: int8 QDQ weights, every masked weight code 0, the masks at the AGP target', async () => {
  const dir = tempDir('retort-joint-');
  const teacher = await trainedModel(dir, 'mlp:64', 1);
  const student = builtModel(dir, 'mlp:32', 2);
  const train = subset(loadDataSource('mnist', { inputDims: [784] }).train, 1000);
  const updates: number[] = [];
  const result = await jointPruneQuantizeDistill({
    student: student.model, teacher: teacher.model, kd: { temperature: 4, alpha: 0.3 }, data: { train },
    trainer: { batchSize: 100, epochs: 2, seed: 0, threads: 1, progress: 'silent', optimizer: { kind: 'sgd', momentum: 0.9 }, schedule: { kind: 'constant', lr: 0.1 } },
    pruning: { schedule: agpOverRun(20, { sparsity: 0.75, start: 0, end: 0.75, frequency: 3 }), scope: 'layer' },
    quantization: defaultQatOptions({ init: { from: 'ptq', calibrator: { method: 'minmax' } } }),
    calibration: modelCalibrationReader(student.model, train, { size: 256, batchSize: 128 }),
    onPrune: (step) => updates.push(step),
  });
  assert.deepEqual(updates, [0, 3, 6, 9, 12, 15]);
  assert.equal(result.training.steps, 20);
  const graph = new Graph(result.model.graph!);
  assert.ok(opTypes(result.model).has('QuantizeLinear'));
  assert.equal(result.masks.size, 2);
  for (const [name, mask] of result.masks) {
    const pruned = mask.filter((m) => m === 0).length;
    assert.equal(pruned, Math.round(0.75 * mask.length), `${name}: ${pruned} masked of ${mask.length}`);
    // The float weight is gone; int8 codes under DequantizeLinear stand in its place.
    assert.equal(graph.initializer(name), undefined);
    const codes = graph.initializer(`${name}_quantized`)!;
    assert.equal(codes.dataType, 3, 'int8');
    const values = readTensor(codes) as Int8Array;
    mask.forEach((m, i) => {
      if (m === 0) assert.equal(values[i], 0, `${name}[${i}] is masked but its code is ${values[i]}`);
    });
  }
});

test('the stage: registered as `joint`; writes an int8 QDQ model.onnx with the pruned weights zero, and reports sparsity, error and size', async () => {
  assert.equal(stageKinds.get('joint'), jointStage);
  const dir = tempDir('retort-joint-');
  const teacher = await trainedModel(dir, 'mlp:64', 1);
  const student = builtModel(dir, 'mlp:32', 2);
  const ctx = stageContext({ models: { model: student, teacher } });
  const out = await jointStage.run(ctx, kwargs(settings));
  const model = await assertRunsInOrt(out.artifacts.model!);
  for (const op of ['QuantizeLinear', 'DequantizeLinear', 'Gemm']) assert.ok(opTypes(model).has(op), op);
  const m = out.metrics as Record<string, number>;
  const weights = 784 * 32 + 32 * 10;
  assert.equal(m.maskedSparsity, (Math.round(0.75 * 784 * 32) + Math.round(0.75 * 32 * 10)) / weights);
  // Zeros in the int8 file: the masked weights, plus any small weight that rounds to code 0.
  assert.ok(m.weightSparsity! >= m.maskedSparsity!, `${m.weightSparsity} < ${m.maskedSparsity}`);
  assert.equal(m.fileBytes, statSync(out.artifacts.model!).size);
  assert.ok(m.fileBytes! < statSync(student.path).size / 3, `int8 ${m.fileBytes} bytes, float ${statSync(student.path).size}`);
  assert.equal(m.testSamples, 1000);
  assert.ok(m.testError! < 0.8, `test error ${m.testError}`);
  assert.equal(m.steps, 20);
  assert.ok(ctx.lines.some((l) => /^joint: step 15: masks at 75\.00% sparsity$/.test(l)), ctx.lines.join('\n'));
});

test('the stage killed after its third mask update resumes from ctx.checkpoint to the same model as an uninterrupted run', async () => {
  const dir = tempDir('retort-joint-');
  const teacher = await trainedModel(dir, 'mlp:64', 1);
  const student = builtModel(dir, 'mlp:32', 3);
  const whole = await jointStage.run(stageContext({ models: { model: student, teacher }, seed: 5 }), kwargs(settings));
  const ctx = stageContext({ models: { model: student, teacher }, seed: 5 });
  let updates = 0;
  const log = ctx.log;
  ctx.log = (line) => {
    log(line);
    if (/masks at/.test(line) && ++updates === 3) throw new Error('killed');
  };
  await assert.rejects(jointStage.run(ctx, kwargs(settings)), /killed/);
  assert.ok(existsSync(ctx.checkpoint));
  ctx.log = log;
  const resumed = await jointStage.run(ctx, kwargs(settings));
  assert.ok(sameBytes(resumed.artifacts.model!, whole.artifacts.model!), 'resumed and uninterrupted models differ');
  assert.deepEqual(ctx.lines.filter((l) => /masks at/.test(l)).map((l) => /step (\d+)/.exec(l)![1]), ['0', '3', '6', '9', '12', '15']);
});
