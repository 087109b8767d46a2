/**
 * Black-box teacher outputs (issue #5, item 10): a teacher known only as a function from inputs to
 * a label or to its top-k class probabilities, with no access to logits or internals. One JSONL line
 * per training sample, in dataset order:
 *   {"label": 3}                        the teacher's class only (decision-based black box)
 *   {"topk": [[3, 0.91], [5, 0.06]]}    the k most probable classes as [class, probability] pairs
 * Every line is checked; all problems are reported at once, each naming its line (zod-style).
 */
import { readFileSync } from 'node:fs';
import { RetortError } from '../../util/errors.js';

export type TeacherOutput = { kind: 'label'; label: number } | { kind: 'topk'; topk: ReadonlyArray<readonly [number, number]> };

export interface TeacherOutputsOptions {
  /** Lines expected: one per training sample. */
  samples: number;
  /** Classes of the task; class ids must lie in 0..classes-1. */
  classes: number;
  /** Where the text came from (a file path or the teacher command), for error messages. */
  source: string;
}

/** Probabilities may sum to a little over 1 from rounding in the teacher's own output. */
export const PROBABILITY_SUM_TOLERANCE = 1e-3;
/** Problems listed in one error before the rest are counted. */
const MAX_LISTED_PROBLEMS = 10;

const isClass = (value: unknown, classes: number): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < classes;

/** One line's output, or a description of what is wrong with it. */
export function parseTeacherOutputLine(line: string, classes: number): TeacherOutput | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return line.trim() === '' ? 'empty line (expected one JSON object per training sample)' : 'not valid JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object {"label": C} or {"topk": [[C, P], ...]}';
  const keys = Object.keys(value);
  const fields = value as Record<string, unknown>;
  if (keys.length !== 1 || !(keys[0] === 'label' || keys[0] === 'topk')) return `expected exactly one key, "label" or "topk"; got ${keys.map((k) => `"${k}"`).join(', ') || 'none'}`;
  if (keys[0] === 'label') {
    if (!isClass(fields.label, classes)) return `"label" ${JSON.stringify(fields.label)} is not a class id in 0..${classes - 1}`;
    return { kind: 'label', label: fields.label };
  }
  const topk = fields.topk;
  if (!Array.isArray(topk) || topk.length === 0) return '"topk" must be a non-empty array of [class, probability] pairs';
  if (topk.length > classes) return `"topk" lists ${topk.length} pairs; there are only ${classes} classes`;
  const seen = new Set<number>();
  let sum = 0;
  for (const [i, pair] of topk.entries()) {
    if (!Array.isArray(pair) || pair.length !== 2) return `"topk"[${i}] must be a [class, probability] pair`;
    const [cls, probability] = pair as [unknown, unknown];
    if (!isClass(cls, classes)) return `"topk"[${i}]: class ${JSON.stringify(cls)} is not a class id in 0..${classes - 1}`;
    if (seen.has(cls)) return `"topk"[${i}]: class ${cls} is listed twice`;
    seen.add(cls);
    if (typeof probability !== 'number' || !Number.isFinite(probability) || probability < 0 || probability > 1) {
      return `"topk"[${i}]: probability ${JSON.stringify(probability)} of class ${cls} must be a number in [0, 1]`;
    }
    sum += probability;
  }
  if (sum > 1 + PROBABILITY_SUM_TOLERANCE) return `"topk" probabilities sum to ${sum.toPrecision(6)}, more than 1`;
  return { kind: 'topk', topk: topk.map(([c, p]) => [c as number, p as number] as const) };
}

/**
 * Parses JSONL teacher outputs: exactly `samples` lines (a final newline is allowed), each valid.
 * Throws DATA_INVALID naming the source and every bad line (the first few, then a count).
 */
export function parseTeacherOutputs(text: string, options: TeacherOutputsOptions): TeacherOutput[] {
  const { samples, classes, source } = options;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const problems: string[] = [];
  if (lines.length !== samples) problems.push(`${lines.length} lines, expected ${samples} (one per training sample, in dataset order)`);
  const badLines: string[] = [];
  const outputs: TeacherOutput[] = [];
  for (const [i, raw] of lines.entries()) {
    const parsed = parseTeacherOutputLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, classes);
    if (typeof parsed === 'string') badLines.push(`line ${i + 1}: ${parsed}`);
    else outputs.push(parsed);
  }
  problems.push(...badLines.slice(0, MAX_LISTED_PROBLEMS));
  if (badLines.length > MAX_LISTED_PROBLEMS) problems.push(`and ${badLines.length - MAX_LISTED_PROBLEMS} more bad lines`);
  if (problems.length > 0) throw new RetortError('DATA_INVALID', `Teacher outputs ${source}: ${problems.join('; ')}`);
  return outputs;
}

/** One JSONL line for an output (what a teacher command or a file must write). */
export function formatTeacherOutput(output: TeacherOutput): string {
  return output.kind === 'label' ? JSON.stringify({ label: output.label }) : JSON.stringify({ topk: output.topk });
}

/** Reads and parses a JSONL file of teacher outputs (FILE_NOT_FOUND names the path). */
export function readTeacherOutputs(path: string, options: Omit<TeacherOutputsOptions, 'source'>): TeacherOutput[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new RetortError('FILE_NOT_FOUND', `Teacher outputs file ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return parseTeacherOutputs(text, { ...options, source: path });
}
