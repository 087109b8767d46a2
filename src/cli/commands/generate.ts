/**
 * `retort generate MODEL --prompt TEXT --tokens N`: continue a prompt with a language model (any
 * ONNX model taking token ids int64 [batch, seq] and giving logits [batch, seq, vocab]), sampling
 * with a temperature and top-k from a seeded generator; prints the prompt and its continuation
 * (or --json). The tokenizer comes from --vocab, the model's metadata, or MODEL.vocab.json.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { tokenizerFromSpec } from '../../data/text/tokenizer.js';
import { findTokenizer } from '../../data/text/vocab.js';
import { generateTokens } from '../../eval/generate.js';
import { loadModel } from '../../onnx/model.js';
import { bad, parseNumber, parseOptional } from '../trainingOptions.js';

interface GenerateFlags {
  prompt: string;
  tokens: string;
  temperature: string;
  topK?: string;
  seed: string;
  vocab?: string;
  context?: string;
  threads: string;
  kvCache: boolean;
  json?: boolean;
}

/** What --json prints. */
export interface GenerateResult {
  model: string;
  tokenizer: string;
  prompt: string;
  completion: string;
  text: string;
  newTokens: number;
  seed: number;
  temperature: number;
  topK: number | null;
  context: number;
  /** Whether the KV-cached decode step ran (else the window was re-run for every token). */
  kvCache: boolean;
  /** Why the model allows no KV cache, when it was not turned off. */
  kvCacheUnavailable: string | null;
  seconds: number;
  tokensPerSecond: number;
}

async function runGenerate(modelPath: string, flags: GenerateFlags): Promise<void> {
  const maxNewTokens = parseNumber('--tokens', flags.tokens, 'nonnegative-int');
  const temperature = parseNumber('--temperature', flags.temperature, 'nonnegative');
  const topK = parseOptional('--top-k', flags.topK, 'positive-int');
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const context = parseOptional('--context', flags.context, 'positive-int');
  const threads = parseNumber('--threads', flags.threads, 'nonnegative-int');
  if (flags.prompt === '') throw bad('--prompt: give at least one character to continue');
  const path = resolve(modelPath);
  const model = loadModel(path);
  const found = findTokenizer(model, path, flags.vocab === undefined ? undefined : resolve(flags.vocab));
  const tokenizer = tokenizerFromSpec(found.spec);
  const prompt = tokenizer.encode(flags.prompt);
  const generation = await generateTokens(model, prompt, {
    maxNewTokens,
    temperature,
    ...(topK !== null ? { topK } : {}),
    seed,
    ...(context !== null ? { context } : {}),
    vocabSize: tokenizer.vocabSize,
    threads,
    cache: flags.kvCache,
  });
  const completion = tokenizer.decode(generation.newTokens);
  const result: GenerateResult = {
    model: path,
    tokenizer: found.source,
    prompt: flags.prompt,
    completion,
    text: flags.prompt + completion,
    newTokens: generation.newTokens.length,
    seed,
    temperature,
    topK,
    context: generation.context,
    kvCache: generation.kvCache,
    kvCacheUnavailable: generation.kvCacheUnavailable ?? null,
    seconds: generation.seconds,
    tokensPerSecond: generation.newTokens.length / Math.max(1e-9, generation.seconds),
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  process.stdout.write(result.text + '\n');
  const sampling = temperature === 0 ? 'greedy' : `temperature ${temperature}${topK !== null ? `, top-k ${topK}` : ''}, seed ${seed}`;
  const decoding = result.kvCache ? 'KV cache' : `no KV cache${result.kvCacheUnavailable !== null ? ` (${result.kvCacheUnavailable})` : ''}`;
  process.stderr.write(`${result.newTokens} tokens in ${result.seconds.toFixed(2)} s (${Math.round(result.tokensPerSecond)} tokens/s; ${sampling}; window ${result.context}; ${decoding})\n`);
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'Continue a prompt with a language model (token ids int64 [batch, seq] in, logits [batch, seq, vocab] out), one token at a time: ' +
        'each new token is drawn from softmax(logits / temperature) at the end of the window of the last --context tokens, ' +
        'restricted to the top k, by a seeded generator. A retort-built GPT (trained, exported, structurally pruned or weight-only quantized to MatMulNBits) decodes with a KV cache: the prompt once, ' +
        'then one token per step, until the text outgrows the window (positions then shift, so the window is re-run each step); ' +
        'other models (PyTorch exports, QDQ/dynamic int8, fp16 or factorized models) re-run the whole window for every token, which gives the same text more slowly. ' +
        'The tokenizer is read from --vocab, else the model\'s metadata, else MODEL.vocab.json beside it ' +
        '(retort train --data text:PATH writes both).',
    )
    .argument('<model>', 'ONNX language model')
    .option('--prompt <text>', 'text to continue (encoded with the model\'s tokenizer)', '\n')
    .option('--tokens <n>', 'new tokens to generate', '200')
    .option('--temperature <x>', 'divides the logits before sampling: below 1 sharper, above 1 flatter, 0 greedy (always the most likely token)', '1')
    .option('--top-k <k>', 'sample among the k most likely tokens only (default all; 1 is greedy)')
    .option('--seed <n>', 'seed of the sampling generator (the same seed gives the same text)', '0')
    .option('--vocab <file>', 'vocabulary JSON (retort-vocab) to use instead of the one the model carries')
    .option('--context <n>', "window length in tokens (default the model's: its fixed sequence length or metadata retort.context)")
    .option('--threads <n>', 'ORT intra-op threads, 0 to let ORT choose', '0')
    .option('--no-kv-cache', 're-run the whole window for every token even where a KV cache is possible (same text, slower; to compare or to rule the cache out)')
    .option('--json', 'print the prompt, completion and settings as JSON')
    .action(async (model: string, flags: GenerateFlags) => runGenerate(model, flags));
}
