/**
 * From parsed recipe data to a plan the runner can execute, or one error listing every problem:
 * variables substituted, the recipe's shape, each data entry, each stage's header, its kind, its
 * kwargs (the kind's own schema) and its inputs — names the kind declares, required ones present,
 * data names that exist, `STAGE.OUTPUT` of an earlier stage and an output that kind declares,
 * model files that exist (relative to the recipe file). Nothing runs before all of that holds.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { Registry } from '../../util/registry.js';
import { stageKinds } from '../stages/index.js';
import { evaluationKwargsSchema, type EvaluationKwargs } from '../stages/evaluationKwargs.js';
import { dataEntrySchema, type DataEntry } from './data.js';
import { TEXT_DATA_KEY, textPathOf, type TextKwargs } from './textData.js';
import { checkWith, recipeError, type PathSegment, type RecipeProblem } from './problems.js';
import { recipeSchema, reportSchema, stageSchema } from './schema.js';
import { readRecipeFile } from './source.js';
import type { InputSpec, StageKind } from './stageKind.js';
import { applyOverrides, interpolate, type Vars } from './variables.js';

/** A model an input reads: an earlier stage's output or a file. `label` is how tables name it. */
export type ModelRef = { from: 'stage'; stage: string; output: string; label: string } | { from: 'file'; path: string; label: string };

export type ResolvedInput = { kind: 'data'; data: string } | { kind: 'model'; model: ModelRef } | { kind: 'models'; models: ModelRef[] };

export interface PlannedStage {
  name: string;
  key: string;
  kind: StageKind;
  seed: number;
  /** The kwargs after the kind's schema: defaults filled in. */
  kwargs: unknown;
  inputs: Readonly<Record<string, ResolvedInput>>;
}

export interface PlannedReport {
  /** The data entry whose test split scores the final comparison; null when the recipe has no data. */
  data: string | null;
  teacher: ModelRef | null;
  title: string | undefined;
  evaluation: EvaluationKwargs;
}

/** A validated recipe: every reference resolved, every kwargs defaulted. */
export interface Recipe {
  name: string;
  description: string | undefined;
  seed: number;
  vars: Vars;
  data: Readonly<Record<string, DataEntry>>;
  stages: readonly PlannedStage[];
  report: PlannedReport;
  /** The recipe file (or a label for recipes given as data) and the folder its paths are relative to. */
  source: string;
  baseDir: string;
}

export interface ValidateOptions {
  /** Named in messages: the file path, or e.g. `(inline)`. */
  source: string;
  /** Model paths are relative to this folder (the recipe file's). */
  baseDir: string;
  /** `--set NAME=VALUE` values. */
  overrides?: Readonly<Record<string, unknown>>;
  kinds?: Registry<StageKind>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const STAGE_REF = /^([a-z][a-zA-Z0-9_-]*)\.([A-Za-z0-9_-]+)$/;

/** The outputs of a kind that are ONNX models (a model input may read only those). */
export const modelOutputsOf = (kind: StageKind): readonly string[] => kind.modelOutputs ?? kind.outputs.filter((o) => o === 'model');

interface Context {
  stageNames: readonly (string | undefined)[];
  stageKindsByIndex: readonly (StageKind | undefined)[];
  dataNames: readonly string[];
  baseDir: string;
  problems: RecipeProblem[];
}

/**
 * A model reference read by stage `index` (Infinity: the final report, which may read any stage):
 * STAGE.OUTPUT when STAGE names a stage and the text has no `/`, else a file path.
 */
function resolveModel(text: string, index: number, path: readonly PathSegment[], ctx: Context): ModelRef | undefined {
  const ref = text.includes('/') ? null : STAGE_REF.exec(text);
  const from = ref ? ctx.stageNames.indexOf(ref[1]) : -1;
  if (ref && from >= 0) {
    const [, stage, output] = ref as unknown as [string, string, string];
    if (from >= index) {
      ctx.problems.push({ path, message: from === index ? `"${text}": a stage cannot read its own output` : `"${text}": stage "${stage}" runs after this one; a stage reads only the outputs of stages before it` });
      return undefined;
    }
    const kind = ctx.stageKindsByIndex[from];
    const models = kind ? modelOutputsOf(kind) : [];
    if (kind && !kind.outputs.includes(output)) {
      const file = output === 'onnx' ? `; for the file, write ./${text}` : '';
      ctx.problems.push({ path, message: `"${text}": stage "${stage}" (${kind.key}) has no output "${output}" (outputs: ${kind.outputs.join(', ')})${file}` });
      return undefined;
    }
    if (kind && !models.includes(output)) {
      ctx.problems.push({ path, message: `"${text}": output "${output}" of stage "${stage}" (${kind.key}) is not a model (${models.length > 0 ? `its models: ${models.join(', ')}` : 'it writes no model'})` });
      return undefined;
    }
    return { from: 'stage', stage, output, label: output === 'model' ? stage : text };
  }
  if (ctx.dataNames.includes(text)) {
    ctx.problems.push({ path, message: `"${text}" is a data entry; this input takes a model (a path or STAGE.OUTPUT)` });
    return undefined;
  }
  const file = resolve(ctx.baseDir, text);
  if (!existsSync(file) || !statSync(file).isFile()) {
    const earlier = [...new Set(ctx.stageNames.slice(0, Math.min(index, ctx.stageNames.length)).filter((n): n is string => n !== undefined))];
    const hint = earlier.length > 0 ? `, or STAGE.OUTPUT of an earlier stage (${earlier.map((n) => `${n}.model`).join(', ')})` : '';
    ctx.problems.push({ path, message: `"${text}": no model file at ${file} (a path relative to the recipe file${hint})` });
    return undefined;
  }
  return { from: 'file', path: file, label: text };
}

function resolveInput(spec: InputSpec, value: unknown, index: number, path: readonly PathSegment[], ctx: Context): ResolvedInput | undefined {
  // Anything but a text or a list of texts is a problem of the stage's header already.
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) return undefined;
  if (spec.kind === 'data') {
    if (typeof value === 'string' && ctx.dataNames.includes(value)) return { kind: 'data', data: value };
    const names = ctx.dataNames.length > 0 ? `data: ${ctx.dataNames.join(', ')}` : 'the recipe has no data entries';
    ctx.problems.push({ path, message: `expected the name of a data entry (${names}), got ${JSON.stringify(value)}` });
    return undefined;
  }
  if (spec.kind === 'model') {
    if (typeof value !== 'string') {
      ctx.problems.push({ path, message: 'expected one model (a path or STAGE.OUTPUT), got a list' });
      return undefined;
    }
    const model = resolveModel(value, index, path, ctx);
    return model && { kind: 'model', model };
  }
  const texts = typeof value === 'string' ? [value] : (value as string[]);
  const models = texts.map((t, j) => resolveModel(t, index, typeof value === 'string' ? path : [...path, j], ctx));
  return models.every((m) => m !== undefined) ? { kind: 'models', models: models as ModelRef[] } : undefined;
}

function checkInputs(kind: StageKind, inputs: Record<string, unknown>, index: number, ctx: Context): Record<string, ResolvedInput> {
  const at = (name: string): PathSegment[] => ['stages', index, 'inputs', name];
  const resolved: Record<string, ResolvedInput> = {};
  const declared = kind.inputs.map((i) => i.name);
  for (const name of Object.keys(inputs)) {
    if (!declared.includes(name)) ctx.problems.push({ path: at(name), message: `stage kind "${kind.key}" has no input "${name}" (inputs: ${declared.join(', ') || 'none'})` });
  }
  for (const spec of kind.inputs) {
    const value = inputs[spec.name];
    if (value === undefined) {
      if (spec.required) ctx.problems.push({ path: at(spec.name), message: `required: ${spec.description}` });
      continue;
    }
    const input = resolveInput(spec, value, index, at(spec.name), ctx);
    if (input) resolved[spec.name] = input;
  }
  return resolved;
}

/** One stage: its header, its kind, its kwargs by the kind's schema and its inputs; undefined when any of them has a problem. */
function planStage(raw: unknown, i: number, seed: number, kinds: Registry<StageKind>, ctx: Context): PlannedStage | undefined {
  const header = checkWith(stageSchema, raw, ['stages', i], ctx.problems);
  const name = ctx.stageNames[i];
  const first = name === undefined ? i : ctx.stageNames.indexOf(name);
  if (first < i) ctx.problems.push({ path: ['stages', i, 'name'], message: `"${name}" is already the name of stages[${first}]; stage names must be unique` });
  if (!isRecord(raw) || typeof raw.key !== 'string') return undefined;
  const kind = ctx.stageKindsByIndex[i];
  if (!kind) {
    ctx.problems.push({ path: ['stages', i, 'key'], message: `unknown stage kind "${raw.key}" (valid: ${kinds.keys().join(', ')})` });
    return undefined;
  }
  // A kwargs or inputs that is not a mapping is already a problem of the header.
  const kwargs = raw.kwargs === undefined || isRecord(raw.kwargs) ? checkWith(kind.kwargs, raw.kwargs ?? {}, ['stages', i, 'kwargs'], ctx.problems) : undefined;
  const inputs = raw.inputs === undefined || isRecord(raw.inputs) ? checkInputs(kind, raw.inputs ?? {}, i, ctx) : {};
  return header && kwargs !== undefined ? { name: header.name, key: header.key, kind, seed: header.seed ?? seed, kwargs, inputs } : undefined;
}

/** Everything but the per-stage and per-entry checks, which run entry by entry so each reports on its own. */
const topSchema = recipeSchema.extend({ stages: z.array(z.unknown()).min(1), report: z.unknown().optional() });

export function validateRecipe(value: unknown, options: ValidateOptions): Recipe {
  const problems: RecipeProblem[] = [];
  const kinds = options.kinds ?? stageKinds;
  if (!isRecord(value)) throw recipeError(options.source, [{ path: [], message: `expected a mapping with name, stages and optionally seed, vars, data, report; got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}` }]);
  const declaredVars = isRecord(value.vars) ? value.vars : {};
  const vars = applyOverrides(declaredVars, options.overrides ?? {}, problems);
  const substituted: Record<string, unknown> = { ...(interpolate({ ...value, vars: undefined }, vars, [], problems) as Record<string, unknown>), vars: value.vars };
  const top = checkWith(topSchema, substituted, [], problems);
  const raw = (isRecord(substituted.data) ? substituted.data : {}) as Record<string, unknown>;
  const data: Record<string, DataEntry> = {};
  for (const [name, entry] of Object.entries(raw)) {
    const checked = checkWith(dataEntrySchema, entry, ['data', name], problems);
    if (checked) data[name] = checked;
    if (checked?.key === TEXT_DATA_KEY) {
      const file = textPathOf(checked.kwargs as TextKwargs, options.baseDir);
      if (!existsSync(file) || !statSync(file).isFile()) problems.push({ path: ['data', name, 'kwargs', 'path'], message: `no text file at ${file} (a path relative to the recipe file)` });
    }
  }
  const rawStages = Array.isArray(substituted.stages) ? (substituted.stages as unknown[]) : [];
  const stageNames = rawStages.map((s) => (isRecord(s) && typeof s.name === 'string' ? s.name : undefined));
  const stageKindsByIndex = rawStages.map((s) => (isRecord(s) && typeof s.key === 'string' ? kinds.find(s.key) : undefined));
  const ctx: Context = { stageNames, stageKindsByIndex, dataNames: Object.keys(raw), baseDir: options.baseDir, problems };
  const seed = top?.seed ?? 0;
  const stages = rawStages.map((raw, i) => planStage(raw, i, seed, kinds, ctx)).filter((s): s is PlannedStage => s !== undefined);
  const report = planReport(substituted.report, ctx);
  if (problems.length > 0 || !top) throw recipeError(options.source, problems);
  return { name: top.name, description: top.description, seed, vars, data, stages, report: report!, source: options.source, baseDir: options.baseDir };
}

function planReport(value: unknown, ctx: Context): PlannedReport | undefined {
  const spec = checkWith(reportSchema, value ?? {}, ['report'], ctx.problems);
  if (!spec) return undefined;
  const { data, teacher, title, ...evaluation } = spec;
  if (data !== undefined && !ctx.dataNames.includes(data)) {
    ctx.problems.push({ path: ['report', 'data'], message: `"${data}" is not a data entry (data: ${ctx.dataNames.join(', ') || 'none'})` });
  }
  // A bare stage name means that stage's model.
  const teacherText = teacher !== undefined && ctx.stageNames.includes(teacher) ? `${teacher}.model` : teacher;
  const teacherRef = teacherText === undefined ? null : (resolveModel(teacherText, Infinity, ['report', 'teacher'], ctx) ?? null);
  return { data: data ?? ctx.dataNames[0] ?? null, teacher: teacherRef, title, evaluation: evaluationKwargsSchema.parse(evaluation) };
}

/** Reads, substitutes and validates a recipe file; model paths are relative to its folder. */
export function loadRecipe(file: string, options: { overrides?: Readonly<Record<string, unknown>>; kinds?: Registry<StageKind> } = {}): Recipe {
  const path = resolve(file);
  const { value, problems } = readRecipeFile(path);
  if (problems.length > 0) throw recipeError(path, problems);
  return validateRecipe(value, { source: path, baseDir: dirname(path), ...options });
}
