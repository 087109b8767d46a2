/**
 * `retort distill --data text:PATH` end to end, the built CLI spawned as a user runs it: a small GPT
 * teacher trained here on 20,000 characters of Tiny Shakespeare, distilled into smaller GPTs by
 * token-level forward KL, on-policy reverse KL and sequence-level KD, resumed, and refused bad options.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTextFile } from '../../src/data/text/corpus.js';
import { CONTEXT_METADATA_KEY } from '../../src/data/text/forLanguageModel.js';
import { tokenizerFromSpec } from '../../src/data/text/tokenizer.js';
import { loadVocab, tokenizerFromMetadata } from '../../src/data/text/vocab.js';
import { isOnPolicyRound } from '../../src/distill/language/onPolicy.js';
import type { LanguageDistillMetrics } from '../../src/distill/language/distillationRun.js';
import { buildArchitecture } from '../../src/models/spec.js';
import { encodeModel, loadModel } from '../../src/onnx/model.js';
import { evaluateLanguageModelBytes } from '../../src/train/evaluateLanguageModel.js';
import { fixturesDir } from '../helpers/fixtures.js';

const cli = path.resolve('dist/src/cli/main.js');

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-text-distill-'));
const textFile = path.join(tempDir(), 'shakespeare.txt');
writeFileSync(textFile, readFileSync(path.resolve('../shared/data/tinyshakespeare.txt'), 'utf8').slice(0, 20_000));
const teacherDir = tempDir();
const teacherFile = path.join(teacherDir, 'model.onnx');
const SEED = '3';
const STUDENT_ARCH = 'gpt:layers=1,dim=16,heads=2,context=32';
/** Two epochs of 6 steps of 8 windows of 32 characters. */
const quick = ['--data', `text:${textFile}`, '--teacher', teacherFile, '--epochs', '2', '--steps-per-epoch', '6', '--batch-size', '8', '--optimizer', 'adamw', '--lr', '0.005', '--seed', SEED, '--threads', '1'];
const json = (r: { stdout: string }): LanguageDistillMetrics => JSON.parse(r.stdout) as LanguageDistillMetrics;

before(() => {
  const r = retort('train', '--arch', 'gpt:layers=2,dim=32,heads=2,context=32', '--data', `text:${textFile}`, '--out', teacherDir, '--epochs', '2', '--steps-per-epoch', '10', '--batch-size', '8', '--optimizer', 'adamw', '--lr', '0.005', '--threads', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
});

/** The validation characters as the teacher tokenizes them. */
const validation = () => loadTextFile(textFile, { tokenizer: tokenizerFromSpec(loadVocab(path.join(teacherDir, 'model.vocab.json'))), validationFraction: 0.1 }).validation!;
const validationLoss = async (bytes: Uint8Array) => (await evaluateLanguageModelBytes(bytes, validation(), { context: 32, batchSize: 32, threads: 1 })).loss;

test('token-level forward KL: the student learns, is scored on the validation characters, and carries the teacher\'s tokenizer', async () => {
  const out = tempDir();
  const r = retort('distill', ...quick, '--student-arch', STUDENT_ARCH, '--divergence', 'forward-kl', '--alpha', '0.5', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = json(r);
  assert.deepEqual([m.format, m.task, m.status, m.method.kind], ['retort-distill-metrics', 'languageModeling', 'complete', 'token-level']);
  assert.deepEqual([m.stepsPerEpoch, m.steps, m.epochs.length], [6, 12, 2]);
  assert.deepEqual(m.config.terms.map((t) => [t.name, t.weight, t.kind]), [['ce', 0.5, 'ce'], ['kd', 0.5, 'kd']]);
  assert.deepEqual(m.config.terms[1]!.options, { divergence: 'forward-kl', temperature: 1 }, 'text data: temperature 1 unless --temperature');
  assert.equal(m.config.context, 32, "the teacher's context");
  assert.match(m.data.tokenizerSource, /metadata retort\.tokenizer/);
  assert.deepEqual([m.data.trainTokens, m.data.validationTokens], [18_000, 2_000]);
  assert.ok(m.student.parameters < m.teacher.parameters);
  assert.equal(m.student.parameterRatio, m.student.parameters / m.teacher.parameters);
  assert.ok(m.teacher.validation!.loss > 0 && m.teacher.validation!.loss < Math.log(65));
  assert.deepEqual(m.epochs[1]!.validation, m.validation);

  const student = loadModel(path.join(out, 'student.onnx'));
  assert.deepEqual(tokenizerFromMetadata(student), loadVocab(path.join(teacherDir, 'model.vocab.json')));
  assert.deepEqual(loadVocab(path.join(out, 'student.vocab.json')), loadVocab(path.join(teacherDir, 'model.vocab.json')));
  assert.equal(student.metadataProps.find((p) => p.key === CONTEXT_METADATA_KEY)?.value, '32');
  // The reported loss is the saved student's, recomputed here; and lower than the same student untrained.
  const v = m.validation!;
  assert.ok(Math.abs((await validationLoss(readFileSync(path.join(out, 'student.onnx')))) - v.loss) < 1e-9);
  assert.ok(Math.abs(v.perplexity - Math.exp(v.loss)) < 1e-9);
  const untrained = await validationLoss(encodeModel(buildArchitecture(STUDENT_ARCH, { seed: Number(SEED), vocabSize: 65 })));
  assert.ok(v.loss < untrained - 0.05, `validation loss ${untrained.toFixed(4)} untrained -> ${v.loss.toFixed(4)} distilled`);

  const g = retort('generate', path.join(out, 'student.onnx'), '--prompt', 'ROMEO:', '--tokens', '10');
  assert.equal(g.status, 0, g.stderr);
  assert.ok(g.stdout.startsWith('ROMEO:'));
});

test('the table; killed by --max-steps and resumed, the student is byte-identical to a straight run; another objective cannot resume', () => {
  const [straight, interrupted] = [tempDir(), tempDir()];
  const run = ['distill', ...quick, '--student-arch', STUDENT_ARCH, '--clip-norm', '1'];
  const table = retort(...run, '--out', straight);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /model\s+parameters\s+% of teacher\s+val loss\s+val ppl\s+val bits\/char/);
  assert.match(table.stdout, /\nteacher\s+[\d,]+\s+100\.0\s+\d\.\d{4}/);
  assert.match(table.stdout, /\nstudent\s+[\d,]+\s+\d+\.\d\s+\d\.\d{4}/);
  assert.match(table.stdout, /loss\s+0\.1 x ce \(ce\) \+ 0\.9 x kd \(kd, forward-kl, T 1\)/);
  const first = retort(...run, '--out', interrupted, '--max-steps', '5', '--json');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(json(first).status, 'max-steps');
  const resumed = retort(...run, '--out', interrupted, '--resume', '--json');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(json(resumed).resumedFromStep, 5);
  assert.deepEqual(readFileSync(path.join(interrupted, 'student.onnx')), readFileSync(path.join(straight, 'student.onnx')));
  const other = retort(...run, '--out', interrupted, '--resume', '--divergence', 'reverse-kl');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /records another run \(terms /);
});

test('on-policy reverse KL from every other teacher layer: rounds of the student\'s samples, seeded, resumed at a round boundary', () => {
  const out = tempDir();
  const r = retort('distill', ...quick, '--student-from-teacher-layers', 'every-other', '--divergence', 'reverse-kl', '--on-policy', 'every=3,fraction=0.5,pool=8,prompt=4', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = json(r);
  assert.deepEqual(m.config.student, { source: 'teacher-layers', layers: [0] });
  assert.deepEqual(m.config.method, { kind: 'on-policy', every: 3, fraction: 0.5, poolSize: 8, promptLength: 4, temperature: 1, topK: null });
  assert.equal(m.config.checkpointEvery, 6);
  const expected = [0, 1, 2, 3].filter((round) => isOnPolicyRound(Number(SEED), round, 0.5)).length;
  assert.ok(m.method.kind === 'on-policy');
  assert.deepEqual([m.method.rounds, m.method.onPolicyRounds, m.method.sampledTokens], [4, expected, expected * 8 * (33 - 4)]);
  assert.deepEqual([m.steps, m.epochs.length], [12, 2]);
  assert.ok(m.validation && m.validation.loss > 0);
  assert.ok(m.student.parameters < m.teacher.parameters);
  // Stopped at a round boundary and resumed: the same student as the straight run.
  const interrupted = tempDir();
  const args = ['distill', ...quick, '--student-from-teacher-layers', 'every-other', '--divergence', 'reverse-kl', '--on-policy', 'every=3,fraction=0.5,pool=8,prompt=4', '--out', interrupted, '--json'];
  assert.equal(json(retort(...args, '--max-steps', '6')).status, 'max-steps');
  const resumed = retort(...args, '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.equal(json(resumed).resumedFromStep, 6);
  assert.deepEqual(json(resumed).epochs.map((e) => e.validation), m.epochs.map((e) => e.validation));
  assert.deepEqual(readFileSync(path.join(interrupted, 'student.onnx')), readFileSync(path.join(out, 'student.onnx')));
  const midRound = retort('distill', ...quick, '--student-from-teacher-layers', 'every-other', '--on-policy', 'every=3', '--max-steps', '4', '--out', tempDir());
  assert.equal(midRound.status, 2);
  assert.match(midRound.stderr, /max steps 4: an on-policy run stops \(and resumes\) at round boundaries, so give a multiple of every \(3\)/);
});

test('sequence-level KD: cross-entropy on text the teacher sampled once', () => {
  const out = tempDir();
  const r = retort('distill', ...quick, '--student-arch', STUDENT_ARCH, '--sequence-kd', 'tokens=600,prompt=2,temperature=0.8', '--out', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = json(r);
  assert.deepEqual(m.config.terms.map((t) => t.kind), ['ce']);
  assert.deepEqual(m.config.method, { kind: 'sequence-level', tokens: 600, promptLength: 2, temperature: 0.8, topK: null });
  assert.ok(m.method.kind === 'sequence-level');
  // Whole sequences of context + 1 = 33 characters, 31 of them sampled after the 2-character prompt.
  assert.deepEqual([m.method.sequenceLength, m.method.sequences, m.method.sampledTokens], [33, Math.ceil(600 / 31), Math.ceil(600 / 31) * 31]);
  assert.equal(m.steps, 12);
  assert.ok(m.validation && m.validation.loss > 0);
});

test('bad text options exit 2 naming the option; a teacher without a tokenizer needs --vocab', () => {
  const out = tempDir();
  const arch = ['--student-arch', STUDENT_ARCH];
  const cases: [string[], RegExp][] = [
    [[...arch, '--jitter'], /Text data \(language-model distillation\) does not take: --jitter/],
    [[...arch, '--omit-class', '3', '--validation', '10'], /does not take: --omit-class, --validation \(give --validation-fraction\)/],
    [[...arch, '--student-from-teacher-layers', 'every-other'], /Give exactly one of --student FILE\.onnx, --student-arch gpt:\.\.\. or --student-from-teacher-layers/],
    [[...arch, '--on-policy', 'fraction=0.5'], /--on-policy "fraction=0\.5": give every=STEPS/],
    [[...arch, '--on-policy', 'every=2,pol=3'], /--on-policy "every=2,pol=3": expected KEY=VALUE items with keys every, fraction, pool, prompt, temperature, top-k; got "pol=3"/],
    [[...arch, '--on-policy', 'every=2', '--sequence-kd', 'tokens=10'], /Choose one of --on-policy and --sequence-kd/],
    [[...arch, '--sequence-kd', 'tokens=100', '--temperature', '2'], /--sequence-kd trains on cross-entropy with the teacher's text/],
    [[...arch, '--divergence', 'kl'], /--divergence "kl": should be one of: forward-kl, reverse-kl, js/],
    [['--student-arch', 'mlp:16'], /a language-model student is a gpt:\.\.\. architecture/],
    [['--student-arch', 'gpt:layers=1,dim=16,heads=2,context=16'], /context=16 is shorter than the training window of 32 tokens/],
    [['--student-from-teacher-layers', '0,5'], /Layer 5: the teacher has layers 0\.\.1/],
    [[...arch, '--context', '64'], /Context 64: the teacher .* takes at most 32 tokens/],
  ];
  for (const [args, message] of cases) {
    const r = retort('distill', ...quick, ...args, '--out', out);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.ok(!existsSync(path.join(out, 'metrics.json')), 'a rejected command line writes nothing');
  // The PyTorch fixture carries no vocabulary: refused, then accepted with --vocab.
  const gptTiny = path.join(fixturesDir, 'gpt_tiny.onnx');
  const fixture = ['distill', '--teacher', gptTiny, ...quick.slice(0, 2), ...quick.slice(4), '--student-arch', STUDENT_ARCH, '--out', tempDir(), '--epochs', '1', '--json'];
  const noVocab = retort(...fixture);
  assert.equal(noVocab.status, 1);
  assert.match(noVocab.stderr, /gpt_tiny\.onnx has no tokenizer/);
  const withVocab = retort(...fixture, '--vocab', path.join(teacherDir, 'model.vocab.json'));
  assert.equal(withVocab.status, 0, withVocab.stderr);
  assert.match(json(withVocab).data.tokenizerSource, /model\.vocab\.json$/);
  const help = retort('distill', '--help');
  for (const flag of ['text:PATH', '--student-from-teacher-layers', '--divergence', '--on-policy', '--sequence-kd', '--context', '--steps-per-epoch', '--validation-fraction', '--clip-norm', '--vocab']) assert.ok(help.stdout.includes(flag), flag);
});
