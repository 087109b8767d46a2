/**
 * `retort compare A.onnx B.onnx ... --data text:PATH`: language models scored on the same validation
 * tokens of one text file (each model reads it in the tokenizer it carries), as a text recipe's
 * comparison does (src/report/languageModels.ts): validation loss, perplexity, bits per token,
 * accuracy and size; with --teacher, the loss against the teacher's and each model's samples judged
 * by the teacher (--judge-tokens sampled tokens; 0 for none). The classification settings (bootstrap,
 * calibration bins, latency, attacks) do not apply to text.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { compareLanguageModels, languageModelTable, writeLanguageModelReport, type ModelFile } from '../report/index.js';
import { textDataInput, textKwargsSchema, textValidation } from '../recipe/pipeline/textData.js';
import { TOKENIZER_KINDS } from '../data/text/tokenizer.js';
import { bad, choice, parseNumber } from './trainingOptions.js';

export interface TextCompareFlags {
  limit?: string;
  seed: string;
  threads?: string;
  tokenizer?: string;
  validationFraction?: string;
  judgeTokens?: string;
  out: string;
  html?: string | false;
  title?: string;
  json?: boolean;
}

export async function compareTextModels(models: readonly ModelFile[], teacher: string | undefined, textPath: string, flags: TextCompareFlags): Promise<void> {
  const path = resolve(textPath);
  const validationFraction = parseNumber('--validation-fraction', flags.validationFraction ?? '0.1', 'positive');
  if (validationFraction >= 1) throw bad(`--validation-fraction ${validationFraction}: must be below 1`);
  const kwargs = textKwargsSchema.parse({
    path: basename(path),
    tokenizer: flags.tokenizer === undefined ? 'char' : choice('--tokenizer', flags.tokenizer, TOKENIZER_KINDS),
    validationFraction,
    limitValidation: flags.limit === undefined ? null : parseNumber('--limit', flags.limit, 'positive-int'),
  });
  const seed = parseNumber('--seed', flags.seed, 'nonnegative-int');
  const judgeTokens = flags.judgeTokens === undefined ? undefined : parseNumber('--judge-tokens', flags.judgeTokens, 'nonnegative-int');
  if (judgeTokens !== undefined && teacher === undefined) throw bad('--judge-tokens: the samples are judged by the teacher; give --teacher');
  const threads = flags.threads === undefined ? undefined : parseNumber('--threads', flags.threads, 'nonnegative-int');
  const name = basename(path);
  const data = textDataInput(name, kwargs, dirname(path));
  const report = await compareLanguageModels({
    models,
    data: { name, validation: textValidation(name, data.text!) },
    ...(teacher === undefined ? {} : { teacher }),
    ...(flags.title ? { title: flags.title } : {}),
    ...(threads === undefined ? {} : { threads }),
    seed,
    // --judge-tokens 0: no judging; otherwise the default drawing with that many tokens.
    ...(judgeTokens === 0 ? { judging: false as const } : {}),
    ...(judgeTokens !== undefined && judgeTokens > 0 ? { judgeTokens } : {}),
    onModel: (model, i, total) => process.stderr.write(`[${i + 1}/${total}] ${model}\n`),
    onJudged: (model, j) => process.stderr.write(`judged by ${teacher}: ${model}'s samples ${j.teacherLoss.toFixed(4)} nats/token\n`),
  });
  const htmlPath = flags.html === false ? undefined : resolve(flags.html ?? join(flags.out, 'report.html'));
  if (htmlPath) writeLanguageModelReport(report, { html: htmlPath });
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${languageModelTable(report)}\n`);
  if (htmlPath) process.stderr.write(`report: ${htmlPath}\n`);
}
