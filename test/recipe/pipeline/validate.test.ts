/**
 * Validation: every problem of a recipe at once, each at its path with readable text (zod issues
 * mapped: bounds, valid choices, unknown keys), stage kwargs checked by the kind's own schema, and
 * references — inputs the kind declares, data names, STAGE.OUTPUT of an earlier stage, model files
 * relative to the recipe file. A valid recipe comes back with defaults filled in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArchitecture } from '../../../src/models/spec.js';
import { saveModel } from '../../../src/onnx/model.js';
import { loadRecipe, validateRecipe, type Recipe } from '../../../src/recipe/pipeline/validate.js';
import { isRetortError, type RetortError } from '../../../src/util/errors.js';
import { testKinds } from './kinds.js';

const kinds = testKinds();

function recipeDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-validate-'));
  mkdirSync(path.join(dir, 'models'));
  saveModel(buildArchitecture('mlp:4', { seed: 0 }), path.join(dir, 'models', 'base.onnx'));
  return dir;
}

function problemsOf(value: unknown, dir: string, overrides?: Record<string, unknown>): string[] {
  try {
    validateRecipe(value, { source: 'r.yaml', baseDir: dir, kinds, ...(overrides ? { overrides } : {}) });
  } catch (e) {
    assert.ok(isRetortError(e) && e.code === 'BAD_ARGUMENT', String(e));
    const [head, ...lines] = (e as RetortError).message.split('\n');
    assert.match(head!, new RegExp(`^Recipe r\\.yaml: ${lines.length} problems?$`));
    return lines.map((l) => l.trim());
  }
  assert.fail('the recipe was accepted');
}

const good = () => ({
  name: 'ok',
  seed: 3,
  vars: { hidden: 6, note: 'n' },
  data: { mnist: { key: 'mnist', kwargs: { limitTest: 100 } } },
  stages: [
    { name: 'base', key: 'test-source', kwargs: { hidden: '${vars.hidden}' } },
    { name: 'copy', key: 'test-copy', seed: 7, inputs: { model: 'base.model' }, kwargs: { note: 'x-${vars.note}' } },
    { name: 'file', key: 'test-copy', inputs: { model: 'models/base.onnx' } },
    { name: 'all', key: 'compare', inputs: { models: ['base.model', 'copy.model', 'models/base.onnx'], teacher: 'base.model', data: 'mnist' }, kwargs: { bootstrap: 0 } },
  ],
  report: { teacher: 'copy', bootstrap: 0 },
});

test('a valid recipe: variables substituted with their types, seeds, references resolved, defaults filled in', () => {
  const dir = recipeDir();
  const recipe: Recipe = validateRecipe(good(), { source: 'r.yaml', baseDir: dir, kinds });
  assert.deepEqual(recipe.stages.map((s) => [s.name, s.key, s.seed]), [['base', 'test-source', 3], ['copy', 'test-copy', 7], ['file', 'test-copy', 3], ['all', 'compare', 3]]);
  assert.deepEqual(recipe.stages[0]!.kwargs, { hidden: 6 });
  assert.deepEqual(recipe.stages[1]!.kwargs, { note: 'x-n', fail: false });
  assert.deepEqual(recipe.stages[1]!.inputs, { model: { kind: 'model', model: { from: 'stage', stage: 'base', output: 'model', label: 'base' } } });
  assert.deepEqual(recipe.stages[2]!.inputs.model, { kind: 'model', model: { from: 'file', path: path.join(dir, 'models', 'base.onnx'), label: 'models/base.onnx' } });
  const compare = recipe.stages[3]!;
  assert.equal(compare.inputs.models!.kind, 'models');
  assert.deepEqual(compare.inputs.data, { kind: 'data', data: 'mnist' });
  assert.equal((compare.kwargs as { confidence: number }).confidence, 0.95, 'the evaluation defaults of retort compare');
  assert.deepEqual(recipe.data.mnist, { key: 'mnist', kwargs: { limitTrain: null, validation: 0, limitTest: 100 } });
  assert.equal(recipe.report.data, 'mnist', 'the first data entry by default');
  assert.deepEqual(recipe.report.teacher, { from: 'stage', stage: 'copy', output: 'model', label: 'copy' }, 'a bare stage name: its model');
});

test('many mistakes at once: one BAD_ARGUMENT error listing each with its path', () => {
  const dir = recipeDir();
  const recipe = {
    name: 'has space',
    seed: -1,
    vars: { hidden: 0 },
    data: { mnist: { key: 'mnist', kwargs: { limitTest: 0, extra: 1 } }, cifar: { key: 'cifar10' } },
    stages: [
      { name: 'base', key: 'test-source', kwargs: { hidden: '${vars.hidden}', width: 3 } },
      { name: 'base', key: 'test-sauce' },
      { name: 'Copy', key: 'test-copy', inputs: { model: 'later.model', extra: 'x' }, kwargs: { fail: 'no' } },
      { name: 'check', key: 'eval', inputs: { model: 'base.output', data: 'mnst' }, kwargs: { bootstrap: 1, confidence: 1.5, latency: { runs: 0 }, attack: { key: 'cw' } } },
      { name: 'cmp', key: 'compare', inputs: { models: ['check.report', 'mnist', 'missing.onnx'] }, kwargs: { title: '${vars.titel}' } },
      { name: 'later', key: 'test-copy', inputs: { model: 'later.model' } },
    ],
    report: { data: 'imagenet', bins: 3 },
  };
  const problems = problemsOf(recipe, dir);
  const expected = [
    'stages[4].kwargs.title: unknown variable vars.titel (declared: hidden)',
    'name: expected a name of letters, digits, ".", "_" or "-" (it names the run folder), got "has space"',
    'seed: expected a whole number ≥ 0, got -1',
    'data.mnist.kwargs.limitTest: expected a whole number > 0, got 0',
    'data.mnist.kwargs: unknown key "extra" (valid: limitTrain, validation, limitTest)',
    'data.cifar.key: unknown key "cifar10"; expected one of: text, mnist',
    'stages[0].kwargs.hidden: expected a whole number > 0, got 0',
    'stages[0].kwargs: unknown key "width" (valid: hidden)',
    'stages[1].name: "base" is already the name of stages[0]; stage names must be unique',
    'stages[1].key: unknown stage kind "test-sauce" (valid: compare, eval, test-copy, test-source)',
    'stages[2].name: expected a stage name of a lower-case letter then letters, digits, _ or - (e.g. "teacher"), got "Copy"',
    'stages[2].kwargs.fail: expected a boolean, got "no"',
    'stages[2].inputs.extra: stage kind "test-copy" has no input "extra" (inputs: model)',
    'stages[2].inputs.model: "later.model": stage "later" runs after this one; a stage reads only the outputs of stages before it',
    'stages[3].kwargs.bootstrap: give 0 (no intervals) or at least 2 resamples, got 1',
    'stages[3].kwargs.confidence: expected a number between 0 and 1, got 1.5',
    'stages[3].kwargs.latency.runs: expected a whole number > 0, got 0',
    'stages[3].kwargs.attack.key: unknown key "cw"; expected one of: fgsm, pgd',
    'stages[3].inputs.model: "base.output": stage "base" (test-source) has no output "output" (outputs: model)',
    'stages[3].inputs.data: expected the name of a data entry (data: mnist, cifar), got "mnst"',
    'stages[4].inputs.models[0]: "check.report": output "report" of stage "check" (eval) is not a model (it writes no model)',
    'stages[4].inputs.models[1]: "mnist" is a data entry; this input takes a model (a path or STAGE.OUTPUT)',
    `stages[4].inputs.models[2]: "missing.onnx": no model file at ${path.join(dir, 'missing.onnx')} (a path relative to the recipe file, or STAGE.OUTPUT of an earlier stage (base.model, Copy.model, check.model))`,
    'stages[4].inputs.data: required: the data entry whose test split scores them',
    'stages[5].inputs.model: "later.model": a stage cannot read its own output',
    'report: unknown key "bins" (valid: data, teacher, title, bootstrap, confidence, batchSize, calibrationBins, latency, inputShapes, attack)',
  ];
  assert.deepEqual(problems, expected);
});

test('kwargs of every stage are checked even when the recipe\'s shape is wrong elsewhere; a non-mapping recipe is one problem', () => {
  const dir = recipeDir();
  const problems = problemsOf({ stages: [{ name: 'a', key: 'test-source', kwargs: { hidden: 'x' } }], extra: true }, dir);
  assert.deepEqual(problems, [
    'name: required',
    '(recipe): unknown key "extra" (valid: name, description, seed, vars, data, stages, report)',
    'stages[0].kwargs.hidden: expected a whole number, got "x"',
  ]);
  assert.deepEqual(problemsOf([1, 2], dir), ['(recipe): expected a mapping with name, stages and optionally seed, vars, data, report; got a list']);
});

test('--set overrides a variable before substitution; an undeclared one is listed with the rest', () => {
  const dir = recipeDir();
  const recipe = validateRecipe(good(), { source: 'r.yaml', baseDir: dir, kinds, overrides: { hidden: 12 } });
  assert.deepEqual(recipe.stages[0]!.kwargs, { hidden: 12 });
  assert.deepEqual(recipe.vars, { hidden: 12, note: 'n' });
  assert.deepEqual(problemsOf(good(), dir, { hiden: 3, hidden: -1 }), [
    'vars: --set hiden: the recipe declares no variable "hiden" (declared: hidden, note)',
    'stages[0].kwargs.hidden: expected a whole number > 0, got -1',
  ]);
});

test('loadRecipe: model paths are relative to the recipe file, not the working directory', () => {
  const dir = recipeDir();
  const file = path.join(dir, 'r.yaml');
  writeFileSync(file, 'name: rel\nstages:\n  - name: c\n    key: test-copy\n    inputs: { model: models/base.onnx }\n');
  const recipe = loadRecipe(file, { kinds });
  assert.equal(recipe.source, file);
  assert.deepEqual(recipe.stages[0]!.inputs.model, { kind: 'model', model: { from: 'file', path: path.join(dir, 'models', 'base.onnx'), label: 'models/base.onnx' } });
  assert.equal(recipe.report.data, null, 'no data: no final comparison');
});
