/**
 * CI smoke runs of every example in recipes/ (issue 9: "each example runs in CI in a reduced form so
 * none rots"). Each recipe file found there is run through the runner in a reduced form set by
 * `--set`-style overrides of the variables every example declares (the convention of
 * recipes/README.md): limitTrain and limitTest, every epochs variable (`epochs`, `...Epochs`), and
 * calibrationSamples and bootstrap where declared. The test checks that every stage completed, that
 * each model a stage wrote loads and runs in ORT, and that the final comparison scored every model.
 * A recipe added to recipes/ is picked up without editing this file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { modelInputDims } from '../../src/data/forModel.js';
import { decodeModel } from '../../src/onnx/model.js';
import { loadRecipe, parseOverrides, runRecipe, stageKinds } from '../../src/recipe/pipeline/index.js';
import type { ComparisonReport, LanguageModelReport } from '../../src/report/index.js';
import { Session } from '../../src/runtime/session.js';
import { floatTensor, int64Tensor } from '../../src/runtime/tensors.js';
import { DataType } from '../../src/onnx/dtype.js';
import { languageModelIo } from '../../src/data/text/forLanguageModel.js';

const RECIPES = path.resolve('recipes');

/** The reduced form: what recipes/README.md promises the smoke run sets. */
const REQUIRED = { limitTrain: 256, limitTest: 200 } as const;
const OPTIONAL = { calibrationSamples: 64, bootstrap: 0 } as const;
/** Two, not one: a one-epoch learning-rate warmup (the Hinton teacher's) must leave steps after it. */
const SMOKE_EPOCHS = 2;
const isEpochs = (name: string): boolean => name === 'epochs' || /Epochs$/.test(name);

/** `--set NAME=VALUE` arguments for the recipe's declared vars; throws naming what the convention misses. */
function smokeOverrides(file: string): string[] {
  const vars = Object.keys(loadRecipe(file).vars);
  const missing = Object.keys(REQUIRED).filter((v) => !vars.includes(v));
  if (!vars.some(isEpochs)) missing.push('an epochs variable (epochs or ...Epochs)');
  assert.deepEqual(missing, [], `${path.basename(file)} must declare the smoke-run variables of recipes/README.md; missing: ${missing.join(', ')}`);
  const set: Record<string, number> = { ...REQUIRED };
  for (const [name, value] of Object.entries(OPTIONAL)) if (vars.includes(name)) set[name] = value;
  for (const name of vars.filter(isEpochs)) set[name] = SMOKE_EPOCHS;
  return Object.entries(set).map(([name, value]) => `${name}=${value}`);
}

/** Loads the ONNX file in a plain ORT session and runs a batch of 2 zero samples (or, for a language model, 2 windows of token 0) through it. */
async function assertLoadsAndRuns(file: string): Promise<void> {
  const bytes = readFileSync(file);
  const model = decodeModel(bytes);
  const tokens = model.graph!.input[0]?.type?.tensorType?.elemType === DataType.INT64;
  const dims = tokens ? [languageModelIo(model).context ?? 8] : modelInputDims(model);
  assert.ok(dims, `${file}: no per-sample input dims`);
  const session = await Session.create(bytes, { name: path.basename(file), threads: 1 });
  try {
    const size = dims.reduce((a, b) => a * b, 1);
    const input = tokens ? int64Tensor(new BigInt64Array(2 * size), [2, ...dims]) : floatTensor(new Float32Array(2 * size), [2, ...dims]);
    const out = await session.run({ [session.inputNames[0]!]: input }, [session.outputNames[0]!]);
    assert.equal(out[session.outputNames[0]!]!.dims[0], 2, file);
  } finally {
    await session.dispose();
  }
}

const files = readdirSync(RECIPES).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort();

test('recipes/ holds the examples of issue 9', () => {
  for (const name of ['gpt-shakespeare-distill.yaml', 'hinton-mnist.yaml', 'deep-compression-lenet300.yaml', 'lenet5-prune-distill-int8.yaml', 'joint-mlp.yaml']) assert.ok(files.includes(name), `${name} among ${files.join(', ')}`);
});

for (const name of files) {
  test(`recipes/${name} runs reduced: every stage completes, every model loads in ORT, the comparison scores them all`, async () => {
    const file = path.join(RECIPES, name);
    const recipe = loadRecipe(file, { overrides: parseOverrides(smokeOverrides(file)) });
    const out = mkdtempSync(path.join(os.tmpdir(), 'retort-example-'));
    const lines: string[] = [];
    try {
      const result = await runRecipe(recipe, { out, threads: 1, log: (line) => lines.push(line) });
      const log = () => `\n${lines.slice(-20).join('\n')}`;
      assert.equal(result.manifest.status, 'complete', log());
      assert.deepEqual(result.manifest.stages.map((s) => [s.name, s.status]), recipe.stages.map((s) => [s.name, 'complete']), log());
      const models: string[] = [];
      for (const record of result.manifest.stages) {
        const kind = stageKinds.get(record.key);
        const modelOutputs = kind.modelOutputs ?? (kind.outputs.includes('model') ? ['model'] : []);
        for (const output of kind.outputs) {
          const artifact = record.artifacts[output];
          assert.ok(artifact !== undefined, `${record.name} wrote no ${output}`);
          const artifactPath = path.join(out, artifact);
          assert.ok(existsSync(artifactPath) && statSync(artifactPath).size > 0, `${record.name}.${output}: ${artifactPath} is missing or empty`);
          if (modelOutputs.includes(output)) {
            await assertLoadsAndRuns(artifactPath);
            if (output === 'model') models.push(record.name);
          }
        }
      }
      // Classifiers: the classification report on limitTest test samples; language models (a text entry): validation loss and perplexity.
      const comparison = (result.comparison ?? result.languageModels) as ComparisonReport | LanguageModelReport | null;
      assert.ok(comparison, `no comparison${log()}`);
      if ('samples' in comparison.data) assert.equal(comparison.data.samples, REQUIRED.limitTest);
      else assert.ok(comparison.data.tokens > 0 && comparison.data.tokens <= REQUIRED.limitTest, `${comparison.data.tokens} validation tokens scored`);
      for (const model of models) assert.ok(comparison.models.some((m) => m.name === model), `${model} missing from the comparison`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
