/**
 * `retort train --data text:PATH` and `retort generate` end to end: the built CLI spawned as a user
 * runs it, on a few kilobytes of Tiny Shakespeare.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tokenizerFromMetadata, loadVocab } from '../../src/data/text/vocab.js';
import { CONTEXT_METADATA_KEY } from '../../src/data/text/forLanguageModel.js';
import type { GenerateResult } from '../../src/cli/commands/generate.js';
import type { LanguageModelMetrics } from '../../src/train/languageModelRun.js';
import { loadModel } from '../../src/onnx/model.js';
import { fixturesDir } from '../helpers/fixtures.js';

const cli = path.resolve('dist/src/cli/main.js');
const gptTiny = path.join(fixturesDir, 'gpt_tiny.onnx');

function retort(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-text-'));
const textFile = path.join(tempDir(), 'shakespeare.txt');
writeFileSync(textFile, readFileSync(path.resolve('../shared/data/tinyshakespeare.txt'), 'utf8').slice(0, 20_000));
const quick = ['--data', `text:${textFile}`, '--batch-size', '8', '--steps-per-epoch', '4', '--optimizer', 'adamw', '--lr', '0.003', '--threads', '2'];

test('fine-tuning gpt_tiny on a text file writes the model with its vocabulary and reports validation loss and perplexity', () => {
  const out = tempDir();
  const r = retort('train', '--model', gptTiny, ...quick, '--out', out, '--epochs', '2', '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as LanguageModelMetrics;
  assert.equal(m.task, 'languageModeling');
  assert.equal(m.status, 'complete');
  assert.deepEqual([m.stepsPerEpoch, m.steps, m.epochs.length], [4, 8, 2]);
  assert.equal(m.config.context, 32, "gpt_tiny's fixed sequence length");
  assert.equal(m.data.tokenizer, 'char');
  assert.equal(m.data.trainTokens + m.data.validationTokens, 20_000);
  assert.equal(m.data.validationTokens, 2_000);
  const v = m.validation!;
  // 1,999 validation tokens hold 62 whole windows of 32 + 1.
  assert.equal(v.tokens, 62 * 32);
  assert.ok(v.loss > 0 && v.loss < Math.log(65) + 0.3, `validation loss ${v.loss}`);
  assert.ok(Math.abs(v.perplexity - Math.exp(v.loss)) < 1e-9 && Math.abs(v.bitsPerToken - v.loss / Math.LN2) < 1e-9);
  assert.deepEqual(m.epochs[1]!.validation, v);
  assert.ok(m.epochs[0]!.tokensPerSecond > 0 && m.timings.tokensPerSecond > 0);

  const model = loadModel(path.join(out, 'model.onnx'));
  const vocab = loadVocab(path.join(out, 'model.vocab.json'));
  assert.deepEqual(tokenizerFromMetadata(model), vocab);
  assert.equal(vocab.kind, 'char');
  assert.deepEqual(vocab.kind === 'char' && vocab.characters, [...new Set(readFileSync(textFile, 'utf8'))].sort());

  // Generation reads the tokenizer from the model; the same seed gives the same text.
  const args = ['generate', path.join(out, 'model.onnx'), '--prompt', 'ROMEO:', '--tokens', '30', '--temperature', '0.8', '--top-k', '10', '--seed', '4'];
  const first = retort(...args);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(retort(...args).stdout, first.stdout);
  assert.ok(first.stdout.startsWith('ROMEO:'));
  assert.equal([...first.stdout].length, 'ROMEO:'.length + 30 + 1);
  assert.match(first.stderr, /30 tokens in .* tokens\/s; temperature 0\.8, top-k 10, seed 4; window 32/);
  const json = JSON.parse(retort(...args.slice(0, -1), '5', '--json').stdout) as GenerateResult;
  assert.equal(json.newTokens, 30);
  assert.equal(json.text, json.prompt + json.completion);
  assert.match(json.tokenizer, /metadata retort\.tokenizer/);
  // gpt_tiny (a PyTorch export) allows no decode step: the window is re-run for every token.
  assert.equal(json.kvCache, false);
  assert.match(json.kvCacheUnavailable ?? '', /not a retort GPT/);
  const greedy = retort('generate', path.join(out, 'model.onnx'), '--prompt', 'ROMEO:', '--tokens', '20', '--temperature', '0');
  const topOne = retort('generate', path.join(out, 'model.onnx'), '--prompt', 'ROMEO:', '--tokens', '20', '--top-k', '1', '--seed', '8');
  assert.equal(greedy.stdout, topOne.stdout);
});

test('a retort-built GPT on bytes: the vocabulary is 256 and the context is written into the model', () => {
  const out = tempDir();
  const r = retort('train', '--arch', 'gpt:layers=1,dim=16,heads=2,context=16', '--tokenizer', 'byte', ...quick, '--out', out, '--epochs', '1', '--json');
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout) as LanguageModelMetrics;
  assert.deepEqual([m.data.tokenizer, m.data.vocabSize, m.model.vocabSize, m.config.context], ['byte', 256, 256, 16]);
  const model = loadModel(path.join(out, 'model.onnx'));
  assert.equal(model.metadataProps.find((p) => p.key === CONTEXT_METADATA_KEY)?.value, '16');
  const g = retort('generate', path.join(out, 'model.onnx'), '--prompt', 'KING', '--tokens', '12', '--json');
  assert.equal(g.status, 0, g.stderr);
  const cached = JSON.parse(g.stdout) as GenerateResult;
  assert.equal(cached.context, 16);
  // The trained, exported GPT decodes with the KV cache; --no-kv-cache re-runs the window, same text.
  assert.equal(cached.kvCache, true, cached.kvCacheUnavailable ?? '');
  const windowed = JSON.parse(retort('generate', path.join(out, 'model.onnx'), '--prompt', 'KING', '--tokens', '12', '--json', '--no-kv-cache').stdout) as GenerateResult;
  assert.deepEqual([windowed.kvCache, windowed.kvCacheUnavailable, windowed.completion], [false, null, cached.completion]);
});

test('an interrupted text run resumed with --resume ends with the same model as a straight run', () => {
  const [straight, interrupted] = [tempDir(), tempDir()];
  const run = ['train', '--model', gptTiny, ...quick, '--epochs', '2', '--json'];
  // Without --json: a table.
  const table = retort(...run.slice(0, -1), '--out', straight);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /val ppl\s+val bits\/char/);
  assert.match(table.stdout, /validation\s+loss \d\.\d{4} nats\/token, perplexity \d+\.\d\d/);
  assert.equal(retort(...run, '--out', interrupted, '--max-steps', '3').status, 0);
  const resumed = retort(...run, '--out', interrupted, '--resume');
  assert.equal(resumed.status, 0, resumed.stderr);
  const m = JSON.parse(resumed.stdout) as LanguageModelMetrics;
  assert.equal(m.resumedFromStep, 3);
  assert.deepEqual(readFileSync(path.join(interrupted, 'model.onnx')), readFileSync(path.join(straight, 'model.onnx')));
  const other = retort(...run, '--out', interrupted, '--resume', '--context', '32', '--validation-fraction', '0.2');
  assert.equal(other.status, 1);
  assert.match(other.stderr, /records another run \(validationFraction 0\.1\)/);
});

test('bad text options exit 2 naming the option; a model without a tokenizer needs --vocab', () => {
  const out = tempDir();
  const cases: [string[], RegExp][] = [
    [['--model', gptTiny, '--data', 'text:', '--out', out], /give the text file after "text:"/],
    [['--arch', 'mlp:8', ...quick, '--out', out], /--arch mlp:8: text data trains a language model; give --arch gpt/],
    [['--model', gptTiny, ...quick, '--out', out, '--validation', '100'], /--validation-fraction/],
    [['--model', gptTiny, ...quick, '--out', out, '--context', '16'], /Context 16: .* exactly 32 tokens/],
    [['--model', gptTiny, ...quick, '--out', out, '--tokenizer', 'bpe'], /--tokenizer "bpe": should be one of: char, byte/],
    [['--model', gptTiny, ...quick, '--out', out, '--validation-fraction', '1'], /--validation-fraction 1: must be below 1/],
    [['--arch', 'mlp:8', '--data', 'shakespeare.txt', '--out', out], /--data "shakespeare.txt": should be one of: mnist, text:PATH/],
  ];
  for (const [args, message] of cases) {
    const r = retort('train', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  const bytes = retort('train', '--model', gptTiny, ...quick, '--out', out, '--tokenizer', 'byte');
  assert.equal(bytes.status, 1);
  assert.match(bytes.stderr, /The tokenizer has 256 tokens but .*gpt_tiny.onnx predicts 65/);
  const missing = retort('train', '--model', gptTiny, '--data', `text:${path.join(out, 'none.txt')}`, '--out', out);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /No such text file: .*none\.txt/);
  assert.ok(!existsSync(path.join(out, 'metrics.json')), 'a rejected command line writes nothing');

  const noVocab = retort('generate', gptTiny, '--prompt', 'To be', '--tokens', '5');
  assert.equal(noVocab.status, 1);
  assert.match(noVocab.stderr, /has no tokenizer: no metadata "retort\.tokenizer" and no .*gpt_tiny\.vocab\.json/);
  const vocabFile = path.join(out, 'shakespeare.vocab.json');
  writeFileSync(vocabFile, JSON.stringify({ format: 'retort-vocab', version: 1, kind: 'char', characters: [...new Set(readFileSync(path.resolve('../shared/data/tinyshakespeare.txt'), 'utf8'))].sort() }));
  const withVocab = retort('generate', gptTiny, '--prompt', 'To be', '--tokens', '5', '--vocab', vocabFile);
  assert.equal(withVocab.status, 0, withVocab.stderr);
  assert.equal([...withVocab.stdout].length, 'To be'.length + 5 + 1);
  const badTemperature = retort('generate', gptTiny, '--vocab', vocabFile, '--temperature', '-1');
  assert.equal(badTemperature.status, 2);
  assert.match(badTemperature.stderr, /--temperature "-1": expected a non-negative number/);
  const help = retort('generate', '--help');
  for (const flag of ['--prompt', '--tokens', '--temperature', '--top-k', '--seed', '--vocab', '--context', '--json']) assert.ok(help.stdout.includes(flag), flag);
  const trainHelp = retort('train', '--help');
  for (const flag of ['--tokenizer', '--context', '--steps-per-epoch', '--validation-fraction', 'text:PATH']) assert.ok(trainHelp.stdout.includes(flag), flag);
});
