/**
 * A comparison of language models on one text's validation tokens — next-token cross-entropy
 * (nats/token), perplexity, bits per token and top-1 accuracy, with each model's size — as a text
 * recipe's run ends (the classification report, compare.ts, scores classes) and as the `eval` stage
 * reports one model on text. Every model reads the same non-overlapping windows: the shortest
 * context among them, so the numbers are comparable. With a teacher, each model's samples are also
 * judged by it (src/eval/sampleJudgement.ts): what the models write, which validation loss does not
 * measure — the same prompts, temperature and seed for every model.
 */
import { languageModelIo, windowLength } from '../data/text/forLanguageModel.js';
import type { TokenSequence } from '../data/text/corpus.js';
import { summarizeModel } from '../eval/modelSummary.js';
import { judgeSamples } from '../eval/sampleJudgement.js';
import { encodeModel, loadModel } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { evaluateLanguageModelBytes } from '../train/evaluateLanguageModel.js';
import { writeFileAtomic } from '../util/atomicWrite.js';
import { RetortError } from '../util/errors.js';
import { retortVersion, type ModelFile } from './compare.js';
import { escapeHtml } from './escape.js';
import { formatBytes, formatCount } from './format.js';

export interface LanguageModelEntry {
  name: string;
  path: string;
  parameters: number;
  nonZeroParameters: number;
  fileBytes: number;
  gzipBytes: number;
  validation: { loss: number; perplexity: number; bitsPerToken: number; accuracy: number; tokens: number };
  /** This model's validation loss minus the teacher's, nats/token (with a teacher). */
  lossVsTeacher?: number;
  /**
   * Its samples scored by the teacher (with a teacher whose tokenizer it shares): the teacher's
   * and its own nats/token on them, and their distinct 4-grams.
   */
  judged?: { teacherLoss: number; teacherLossStdError: number; ownLoss: number; distinct4: number; sampledTokens: number };
}

/** How the models' samples are drawn for the teacher to judge. */
export interface SampleJudging {
  /** Sampled tokens per model, at least. */
  tokens: number;
  /** Prompt tokens from seeded places of the validation text. */
  promptLength: number;
  temperature: number;
  seed: number;
}

/** By default: 8,192 tokens at temperature 1 (the distribution distillation shapes), prompts of a quarter of the window, at most 32. */
export function defaultSampleJudging(context: number, seed = 0): SampleJudging {
  return { tokens: 8192, promptLength: Math.max(1, Math.min(32, Math.floor(context / 4))), temperature: 1, seed };
}

export interface LanguageModelReport {
  format: 'retort-language-model-comparison';
  title: string;
  created: string;
  retortVersion: string;
  /** `tokens`: scored tokens per model; `context`: the window every model read. */
  data: { name: string; split: 'validation'; tokens: number; context: number };
  teacher?: string;
  /** How samples were drawn for the teacher to judge (with a teacher). */
  judging?: SampleJudging;
  models: LanguageModelEntry[];
}

export interface LanguageCompareOptions {
  models: readonly ModelFile[];
  /** The validation tokens for a model (tokenized as it was trained). */
  data: { name: string; validation(model: ModelProto, path: string): TokenSequence };
  /** Name of the entry (one of `models`) the loss differences are taken against. */
  teacher?: string;
  title?: string;
  threads?: number;
  /** With a teacher: how its judgement of the samples is drawn (default `defaultSampleJudging` with `seed`), or false for none. */
  judging?: SampleJudging | false;
  seed?: number;
  /** Sampled tokens per model for the default judging, in place of its 8,192. */
  judgeTokens?: number;
  onModel?: (name: string, index: number, total: number) => void;
  onJudged?: (name: string, judged: NonNullable<LanguageModelEntry['judged']>) => void;
}

export async function compareLanguageModels(options: LanguageCompareOptions): Promise<LanguageModelReport> {
  const { models } = options;
  if (options.teacher !== undefined && !models.some((m) => m.name === options.teacher)) {
    throw new RetortError('BAD_ARGUMENT', `Teacher "${options.teacher}" is not among the models. Should be one of: ${models.map((m) => m.name).join(', ')}`);
  }
  const loaded = models.map((m) => ({ ...m, model: loadModel(m.path) }));
  const context = Math.min(...loaded.map((m) => windowLength(languageModelIo(m.model, m.path), null, m.path)));
  const entries: LanguageModelEntry[] = [];
  /** Each model's validation tokens, as it reads them: the judge's prompts and the tokenizer check below. */
  const validations: TokenSequence[] = [];
  let tokens = 0;
  for (const [i, m] of loaded.entries()) {
    const bytes = encodeModel(m.model);
    const summary = await summarizeModel(bytes, { threads: options.threads, macs: false });
    const validation = options.data.validation(m.model, m.path);
    validations.push(validation);
    const e = await evaluateLanguageModelBytes(bytes, validation, { context, batchSize: 32, threads: options.threads, name: m.name });
    tokens = e.samples;
    entries.push({
      name: m.name,
      path: m.path,
      parameters: summary.parameters,
      nonZeroParameters: summary.nonZeroParameters,
      fileBytes: summary.fileBytes,
      gzipBytes: summary.gzipBytes,
      validation: { loss: e.loss, perplexity: e.perplexity, bitsPerToken: e.bitsPerToken, accuracy: e.accuracy, tokens: e.samples },
    });
    options.onModel?.(m.name, i, models.length);
  }
  const teacher = entries.find((e) => e.name === options.teacher);
  if (teacher) for (const e of entries) e.lossVsTeacher = e.validation.loss - teacher.validation.loss;
  const judging = teacher && options.judging !== false ? (options.judging ?? { ...defaultSampleJudging(context, options.seed), ...(options.judgeTokens !== undefined ? { tokens: options.judgeTokens } : {}) }) : undefined;
  if (teacher && judging) {
    const at = loaded.findIndex((m) => m.name === teacher.name);
    const judge = loaded[at]!;
    const prompts = validations[at]!;
    for (const [i, m] of loaded.entries()) {
      // Samples in another tokenizer's ids would be judged as other characters.
      const own = validations[i]!;
      if (own.vocabSize !== prompts.vocabSize || !own.tokens.every((t, k) => t === prompts.tokens[k])) continue;
      const j = await judgeSamples(m.model, judge.model, { prompts, ...judging, context, threads: options.threads });
      const judged = { teacherLoss: j.judgeLoss, teacherLossStdError: j.judgeLossStdError, ownLoss: j.selfLoss, distinct4: j.distinct4, sampledTokens: j.sampledTokens };
      entries[i]!.judged = judged;
      options.onJudged?.(m.name, judged);
    }
  }
  return {
    format: 'retort-language-model-comparison',
    title: options.title ?? `retort compare: ${models.map((m) => m.name).join(', ')}`,
    created: new Date().toISOString(),
    retortVersion: retortVersion(),
    data: { name: options.data.name, split: 'validation', tokens, context },
    ...(teacher ? { teacher: teacher.name } : {}),
    ...(judging ? { judging } : {}),
    models: entries,
  };
}

const HEADERS = ['model', 'parameters', 'bytes', 'val loss', 'perplexity', 'bits/token', 'accuracy %', 'Δloss vs teacher'];
const JUDGED_HEADERS = ["teacher's loss on its samples", 'own loss on its samples', 'distinct 4-grams'];

const headers = (report: LanguageModelReport): string[] => (report.judging ? [...HEADERS, ...JUDGED_HEADERS] : HEADERS);

function rows(report: LanguageModelReport): string[][] {
  return report.models.map((m) => [
    m.name,
    formatCount(m.parameters),
    formatBytes(m.fileBytes),
    m.validation.loss.toFixed(4),
    m.validation.perplexity.toFixed(2),
    m.validation.bitsPerToken.toFixed(3),
    (100 * m.validation.accuracy).toFixed(2),
    m.lossVsTeacher === undefined || m.name === report.teacher ? '' : `${m.lossVsTeacher >= 0 ? '+' : ''}${m.lossVsTeacher.toFixed(4)}`,
    ...(report.judging
      ? m.judged
        ? [`${m.judged.teacherLoss.toFixed(4)} ± ${m.judged.teacherLossStdError.toFixed(3)}`, m.judged.ownLoss.toFixed(4), m.judged.distinct4.toFixed(3)]
        : ['(another tokenizer)', '', '']
      : []),
  ]);
}

const caption = (report: LanguageModelReport): string => {
  const j = report.judging;
  const judged = j
    ? `; each model also continued ${j.promptLength}-token prompts of the validation text by sampling at temperature ${j.temperature} (${j.tokens} tokens, seed ${j.seed}), scored by the teacher and by itself in nats/token (± the standard error over the samples)`
    : '';
  return `${report.data.name}, validation split: ${report.data.tokens} tokens in windows of ${report.data.context}; loss is next-token cross-entropy in nats/token${judged}`;
};

/** The report as a fixed-width text table with a caption line. */
export function languageModelTable(report: LanguageModelReport): string {
  const table = [headers(report), ...rows(report)];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const lines = table.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
  return [...lines, '', caption(report)].join('\n');
}

export function renderLanguageModelHtml(report: LanguageModelReport): string {
  const cells = (r: string[], tag: 'td' | 'th') => `<tr>${r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(report.title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body>
<h1>${escapeHtml(report.title)}</h1>
<p>${escapeHtml(caption(report))}. retort ${escapeHtml(report.retortVersion)}, ${escapeHtml(report.created)}.</p>
<table>${cells(headers(report), 'th')}${rows(report).map((r) => cells(r, 'td')).join('')}</table>
</body></html>
`;
}

/** The HTML view and the JSON, each written atomically. */
export function writeLanguageModelReport(report: LanguageModelReport, files: { html?: string; json?: string; table?: string }): void {
  if (files.html) writeFileAtomic(files.html, renderLanguageModelHtml(report));
  if (files.json) writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`);
  if (files.table) writeFileAtomic(files.table, `${languageModelTable(report)}\n`);
}
