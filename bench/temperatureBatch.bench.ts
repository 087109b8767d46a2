/**
 * Temperature vs batch size for the soft (KD) term, issue #5 item 9 (`npm run bench:kd-variance`).
 *
 * The claim tested: keeping the soft term's gradient variance constant needs T ∝ B^(-1/4).
 *
 * Setting: an MNIST 784-256-10 teacher (1 epoch on 10,000 images, labels only) and a 784-64-10
 * student at a fixed point (1 warm-up epoch on 2,000 images, labels only), both seeded. For each
 * batch size B and temperature T, R batches (seeded, B distinct images each, drawn from a pool of
 * 20,000 training images; the same R batches for every T at one B) give R gradients of the soft
 * term S_T = T² · KL(softmax(t/T) || softmax(s/T)) (Hinton et al. 2015, batch mean as PyTorch's
 * kl_div 'batchmean') w.r.t. all student parameters. V(B, T) = mean over parameters of the
 * per-coordinate variance across the R batches (unbiased); trace = V · parameters.
 *
 * Algebra. g_B = (1/B) Σ_i ∇ℓ_i with i drawn from the pool, so Var(g_B) = Σ(T)/B times the finite-
 * pool factor (N − B)/(N − 1) ≥ 0.974 here (Cochran 1977, §2.6). If the per-sample variance
 * σ²(T) ∝ T^c, then V ∝ B^b T^c with b = −1, and on a level set of V, b log B + c log T = const, so
 * T ∝ B^k with k = −b/c (= 1/c when b = −1). We fit log V = a + b log B + c log T by least squares
 * and report b, c, k. The claim k = −1/4 is, with the fitted b, c = 4b (≈ −4): the variance must fall
 * as T^-4. The bootstrap interval of c − 4b (covers 0 ⇔ consistent with the claim) is the test, since
 * k = −b/c is a ratio whose interval blows up when c is near 0.
 * What to expect: ∂S_T/∂s = T (softmax(s/T) − softmax(t/T)). For T well above the logit spread,
 * softmax(z/T) ≈ (1 + (z − mean z)/T)/C, so ∂S_T/∂s → ((s − t) − mean(s − t))/C, independent of T:
 * c → 0 and no T keeps V constant as B changes (k unbounded). Without the T² factor (plain KL at
 * temperature T) the gradient is ∂S_T/∂s / T², so its variance is V/T⁴ exactly: c − 4 → −4 and
 * k → −1/4. So the claim holds, at high T, for the unscaled soft term only; the bench measures both
 * (the unscaled numbers are the measured V divided by T⁴, no second measurement).
 * Intervals: 95% percentile bootstrap over the R batches (the same resampled batch indices at every
 * T of a B, keeping the pairing; B's batch sets are independent).
 *
 * Flags: --repeats R (40) --resamples N (1000) --pool N (20000) --threads N (1) --out-dir DIR
 * (bench-output) --write (append the markdown section to BENCHMARKS.md).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder } from '../src/autodiff/builder.js';
import { buildGradientModel, cloneForEditing, defaultOpset } from '../src/autodiff/gradientModel.js';
import { selectSamples, sliceDataset, subset } from '../src/data/dataset.js';
import { loadDataSource } from '../src/data/sources.js';
import { distill } from '../src/distill/distill.js';
import { klDivergence, softenedLogProbabilities } from '../src/distill/terms/primitives.js';
import { bootstrapIntervals, type Interval } from '../src/eval/bootstrap.js';
import { datasetLogits } from '../src/eval/logits.js';
import { buildArchitecture } from '../src/models/spec.js';
import { DataType } from '../src/onnx/dtype.js';
import { Graph } from '../src/onnx/graph.js';
import { encodeModel } from '../src/onnx/model.js';
import { listParameters } from '../src/onnx/parameters.js';
import { newValueInfo, type ModelProto } from '../src/onnx/proto.js';
import { Session, type Feeds } from '../src/runtime/session.js';
import { floatTensor, readFloats, scalarFloat } from '../src/runtime/tensors.js';
import type { TrainerConfig } from '../src/train/trainer.js';
import { writeFileAtomic } from '../src/util/atomicWrite.js';
import { Rng } from '../src/util/random.js';
import { fitPowerLaw, gramMatrix, logLogCrossing, traceVariance } from './kdVariance/varianceMath.js';
import { renderKdVarianceHtml } from './kdVariance/plot.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const repeats = Number(flag('repeats', '40'));
const resamples = Number(flag('resamples', '1000'));
const poolSize = Number(flag('pool', '20000'));
const threads = Number(flag('threads', '1'));
const outDir = flag('out-dir', 'bench-output');
const BATCHES = [16, 32, 64, 128, 256, 512];
const TEMPERATURES = [1, 2, 4, 8, 20];
/** The high-temperature regime where the expansion in the header applies. */
const HIGH_T = [4, 8, 20];
const CLASSES = 10;
const started = performance.now();

const train = loadDataSource('mnist', { inputDims: [784] }).train;
const trainer = (seed: number, batchSize = 100): Omit<TrainerConfig, 'loss'> => ({
  batchSize, epochs: 1, seed, progress: 'silent', optimizer: { kind: 'adam' }, schedule: { kind: 'constant', lr: 1e-3 },
});
const labelsOnly = async (architecture: string, seed: number, images: number): Promise<ModelProto> => {
  const model = buildArchitecture(architecture, { seed });
  return (await distill({ teacher: model, student: model, data: { train: subset(train, images) }, trainer: trainer(seed), kd: { temperature: 1, alpha: 1 } })).model;
};
const teacher = await labelsOnly('mlp:256', 1, 10000);
const student = await labelsOnly('mlp:64', 2, 2000);
const pool = sliceDataset(train, 0, Math.min(poolSize, train.length));
const teacherSession = await Session.create(encodeModel(teacher), { name: 'teacher', threads });
const poolTeacherLogits = (await datasetLogits(teacherSession, pool)).logits;
await teacherSession.dispose();
console.error(`teacher and student ready (${((performance.now() - started) / 1000).toFixed(0)} s)`);

const TEACHER_INPUT = 'kd.teacher_logits';
const TEMPERATURE_INPUT = 'kd.temperature';
/** The student extended with S_T = T² KL(softmax(t/T) || softmax(s/T)); T and teacher logits are inputs. */
async function softTermGradientModel(batch: number) {
  const copy = cloneForEditing(student);
  const graph = new Graph(copy.graph!);
  const logits = graph.outputs[0]!.name;
  const b = new GraphBuilder(graph, defaultOpset(copy), 'kd/');
  const kl = klDivergence(b, softenedLogProbabilities(b, TEACHER_INPUT, TEMPERATURE_INPUT), softenedLogProbabilities(b, logits, TEMPERATURE_INPUT), [batch, CLASSES]);
  const loss = b.mul(b.mul(TEMPERATURE_INPUT, TEMPERATURE_INPUT), kl);
  const info = (name: string, dims: number[]) => newValueInfo({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  copy.graph!.input.push(info(TEACHER_INPUT, [batch, CLASSES]), info(TEMPERATURE_INPUT, []));
  const parameters = listParameters(new Graph(student.graph!)).map((p) => p.name);
  const feeds: Feeds = {
    [graph.inputs[0]!.name]: floatTensor(new Float32Array(batch * 784), [batch, 784]),
    [TEACHER_INPUT]: floatTensor(new Float32Array(batch * CLASSES), [batch, CLASSES]),
    [TEMPERATURE_INPUT]: scalarFloat(1),
  };
  return { ...(await buildGradientModel(copy, loss, parameters, feeds)), input: graph.inputs[0]!.name, parameters };
}

interface Cell { batch: number; temperature: number; gram: Float64Array; variance: number; trace: number }
const cells: Cell[] = [];
let parameterCount = 0;
for (const batch of BATCHES) {
  const built = await softTermGradientModel(batch);
  const session = await Session.create(encodeModel(built.model), { name: `soft-term gradients, B ${batch}`, threads });
  const fetches = built.parameters.map((p) => built.gradientOutputs.get(p)!);
  const rng = new Rng(1000 + batch);
  const gradients = TEMPERATURES.map(() => [] as Float32Array[]);
  for (let r = 0; r < repeats; r++) {
    const indices = rng.permutation(pool.length).subarray(0, batch);
    const images = selectSamples(pool, indices);
    const teacherLogits = Float32Array.from({ length: batch * CLASSES }, (_, k) => poolTeacherLogits[indices[Math.floor(k / CLASSES)]! * CLASSES + (k % CLASSES)]!);
    for (const [ti, temperature] of TEMPERATURES.entries()) {
      const results = await session.run({
        [built.input]: floatTensor(images.inputs, [batch, 784]),
        [TEACHER_INPUT]: floatTensor(teacherLogits, [batch, CLASSES]),
        [TEMPERATURE_INPUT]: scalarFloat(temperature),
      }, fetches);
      const parts = fetches.map((f) => readFloats(results[f]!, f));
      parameterCount = parts.reduce((n, p) => n + p.length, 0);
      const flat = new Float32Array(parameterCount);
      let offset = 0;
      for (const part of parts) { flat.set(part, offset); offset += part.length; }
      gradients[ti]!.push(flat);
    }
  }
  await session.dispose();
  const all = Uint32Array.from({ length: repeats }, (_, i) => i);
  for (const [ti, temperature] of TEMPERATURES.entries()) {
    const gram = gramMatrix(gradients[ti]!);
    const trace = traceVariance(gram, repeats, all);
    cells.push({ batch, temperature, gram, trace, variance: trace / parameterCount });
  }
  console.error(`B ${batch} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

/** Variances of the cells at the resampled batch indices: scaled (S_T) and unscaled (S_T / T²). */
const resampled = (indices: Uint32Array, temperatures: readonly number[], unscaled: boolean) =>
  cells.filter((c) => temperatures.includes(c.temperature)).map((c) => ({
    batch: c.batch, temperature: c.temperature,
    variance: traceVariance(c.gram, repeats, indices) / parameterCount / (unscaled ? c.temperature ** 4 : 1),
  }));
const FITS = [
  { name: 'T² · KL (Hinton), T 1–20', temperatures: TEMPERATURES, unscaled: false },
  { name: 'T² · KL (Hinton), T 4–20', temperatures: HIGH_T, unscaled: false },
  { name: 'KL without T², T 1–20', temperatures: TEMPERATURES, unscaled: true },
  { name: 'KL without T², T 4–20', temperatures: HIGH_T, unscaled: true },
];
const fitStatistics = (indices: Uint32Array) => FITS.flatMap((f) => {
  const fit = fitPowerLaw(resampled(indices, f.temperatures, f.unscaled));
  return [fit.batchExponent, fit.temperatureExponent, fit.k, fit.temperatureExponent - 4 * fit.batchExponent];
});
const intervals = bootstrapIntervals(repeats, fitStatistics, FITS.length * 4, { resamples, seed: 7 });
const fits = FITS.map((f, i) => {
  const [b, c, k, claimGap] = intervals.slice(i * 4, i * 4 + 4) as [Interval, Interval, Interval, Interval];
  const point = fitPowerLaw(resampled(Uint32Array.from({ length: repeats }, (_, r) => r), f.temperatures, f.unscaled));
  return { name: f.name, unscaled: f.unscaled, temperatures: f.temperatures, point, b, c, k, claimGap, consistent: claimGap.lower <= 0 && claimGap.upper >= 0 };
});

// T(B) on one level set, by log–log interpolation over T at each B: the level is V at B 64, T 4.
const level = (unscaled: boolean) => {
  const at = (batch: number) => cells.filter((c) => c.batch === batch).map((c) => c.variance / (unscaled ? c.temperature ** 4 : 1));
  const target = at(64)[TEMPERATURES.indexOf(4)]!;
  return { target, temperatures: BATCHES.map((batch) => logLogCrossing(TEMPERATURES, at(batch), target)) };
};
const levels = { scaled: level(false), unscaled: level(true) };

const fmt = (x: number) => (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(3));
const fmtInterval = (i: Interval) => `${fmt(i.estimate)} [${fmt(i.lower)}, ${fmt(i.upper)}]`;
const seconds = (performance.now() - started) / 1000;
const lines = [
  '',
  '## Soft-term gradient variance vs temperature and batch size (`npm run bench:kd-variance`)',
  '',
  `Issue #5 item 9. Claim tested: constant gradient variance of the soft term needs T ∝ B^(-1/4). ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores, shared; load average ${os.loadavg()[0]!.toFixed(1)} at the end), ORT CPU ${threads} thread(s), ${seconds.toFixed(0)} s.`,
  `Command: \`npm run bench:kd-variance\` (R = ${repeats} batches per B, ${resamples} bootstrap resamples). Plot: \`${outDir}/bench-kd-variance.html\`.`,
  `Teacher 784-256-10 (1 epoch, 10,000 images, labels), student 784-64-10 (${parameterCount.toLocaleString('en-US')} parameters) after 1 warm-up epoch on 2,000 images; batches of distinct images from the first ${pool.length.toLocaleString('en-US')} training images; soft term T² · KL(softmax(t/T) ‖ softmax(s/T)), batch mean. See the bench's header for the algebra.`,
  '',
  'Mean per-coordinate variance of the soft term\'s gradient across batches (trace = × parameters):',
  '',
  `| B | ${TEMPERATURES.map((t) => `T ${t}`).join(' | ')} |`,
  `|---:|${TEMPERATURES.map(() => '---:').join('|')}|`,
  ...BATCHES.map((batch) => `| ${batch} | ${TEMPERATURES.map((t) => cells.find((c) => c.batch === batch && c.temperature === t)!.variance.toExponential(3)).join(' | ')} |`),
  '',
  'Fit log V = a + b log B + c log T; on a level set T ∝ B^k, k = −b/c. The claim k = −1/4 means c = 4b; "consistent" when the 95% interval of c − 4b covers 0. Values: estimate [95% bootstrap interval over the R batches]. "KL without T²" is V / T⁴ from the same gradients.',
  '',
  '| soft term, temperatures | b (B exponent) | c (T exponent) | k = −b/c | c − 4b | claim −1/4 |',
  '|---|---|---|---|---|---|',
  ...fits.map((f) => `| ${f.name} | ${fmtInterval(f.b)} | ${fmtInterval(f.c)} | ${fmtInterval(f.k)} | ${fmtInterval(f.claimGap)} | ${f.consistent ? 'consistent' : 'rejected'} |`),
  '',
  `Level set by interpolation (V at B 64, T 4; T needed at B ${BATCHES.join(', ')}): T² · KL: ${levels.scaled.temperatures.map((t) => (t === null ? '–' : t.toFixed(2))).join(', ')}; KL without T²: ${levels.unscaled.temperatures.map((t) => (t === null ? '–' : t.toFixed(2))).join(', ')} (– where no T in 1–20 reaches the level).`,
  '',
];
// The conclusion, from the numbers above: how far T can move V at one B, against how far B moves it.
const atBatch = (batch: number) => cells.filter((c) => c.batch === batch);
const tSwing = Math.max(...BATCHES.map((batch) => { const v = atBatch(batch).map((c) => c.variance); return Math.max(...v) / Math.min(...v); }));
const peaks = [...new Set(BATCHES.map((batch) => atBatch(batch).reduce((a, c) => (c.variance > a.variance ? c : a)).temperature))];
const bSwing = Math.min(...TEMPERATURES.map((t) => cells.find((c) => c.batch === BATCHES[0] && c.temperature === t)!.variance / cells.find((c) => c.batch === BATCHES.at(-1) && c.temperature === t)!.variance));
const verdict = (f: (typeof fits)[number]) => `k = ${fmtInterval(f.k)} (${f.name}: ${f.consistent ? 'consistent with' : 'not consistent with'} −1/4)`;
lines.push(
  `Conclusion (this run): with the T² factor the variance peaks at T ${peaks.join(', ')} and moves by at most ×${tSwing.toFixed(2)} across T 1–20 at any B, while B ${BATCHES[0]} → ${BATCHES.at(-1)} divides it by at least ${bSwing.toFixed(1)}; ${tSwing < bSwing ? 'so no T in 1–20 keeps it constant over this range of B' : 'so T alone could in principle offset B here'}; the fitted law for T² · KL: ${verdict(fits[1]!)}. ` +
    `The −1/4 law is the high-temperature behaviour of the soft term without T² (variance ∝ T^-4 / B): ${verdict(fits[3]!)}; over T 1–20, ${verdict(fits[2]!)}. Intervals cover batch sampling at one teacher, one student point and one seed only.`,
  '',
);
const markdown = lines.join('\n');
console.log(markdown);
mkdirSync(outDir, { recursive: true });
writeFileAtomic(path.join(outDir, 'bench-kd-variance.json'), JSON.stringify({
  repeats, resamples, parameters: parameterCount, batches: BATCHES, temperatures: TEMPERATURES,
  cells: cells.map(({ gram: _gram, ...c }) => c), fits, levels,
}, null, 2));
writeFileAtomic(path.join(outDir, 'bench-kd-variance.html'), renderKdVarianceHtml({
  batches: BATCHES, temperatures: TEMPERATURES,
  variance: (batch, t) => cells.find((c) => c.batch === batch && c.temperature === t)!.variance,
  fits: fits.filter((f) => f.temperatures === HIGH_T).map((f) => ({ name: f.name, unscaled: f.unscaled, fit: f.point, k: f.k })),
  levels,
  note: `R = ${repeats} batches per B; student ${parameterCount} parameters; ${new Date().toISOString().slice(0, 10)}`,
}));
if (process.argv.includes('--write')) appendFileSync('BENCHMARKS.md', markdown);
