/**
 * The runner in-process, with test stage kinds: the run folder and manifest, the eval and compare
 * kinds and the final comparison, stage hashes (editing a stage reruns it and what reads it, only),
 * reuse on re-run, an interrupted stage run again with its checkpoint in place, a failing stage.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArchitecture } from '../../../src/models/spec.js';
import { saveModel } from '../../../src/onnx/model.js';
import { stageHashes } from '../../../src/recipe/pipeline/hash.js';
import { readManifest, type Manifest } from '../../../src/recipe/pipeline/manifest.js';
import { runRecipe } from '../../../src/recipe/pipeline/runner.js';
import { validateRecipe, type Recipe } from '../../../src/recipe/pipeline/validate.js';
import type { ComparisonReport } from '../../../src/report/types.js';
import { ran, testKinds } from './kinds.js';

const kinds = testKinds();
const tempDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'retort-runner-'));
const quiet = { log: () => {}, threads: 1 };
const quickEvaluation = { bootstrap: 0, latency: { runs: 2, warmup: 0 } };

function plan(value: Record<string, unknown>, dir: string): Recipe {
  return validateRecipe(value, { source: 'test', baseDir: dir, kinds });
}

/** Folders of the stages that ran during `fn`, by stage name. */
async function stagesRun(fn: () => Promise<unknown>): Promise<string[]> {
  const before = ran.length;
  await fn();
  return ran.slice(before).map((dir) => path.basename(dir));
}

const chain = (overrides: { hidden?: number; note?: string; lastNote?: string } = {}) => ({
  name: 'chain',
  seed: 1,
  stages: [
    { name: 'base', key: 'test-source', kwargs: { hidden: overrides.hidden ?? 4 } },
    { name: 'copy', key: 'test-copy', inputs: { model: 'base.model' }, kwargs: { note: overrides.note ?? 'a' } },
    { name: 'other', key: 'test-source', kwargs: { hidden: 3 } },
    { name: 'last', key: 'test-copy', inputs: { model: 'copy.model' }, kwargs: { note: overrides.lastNote ?? 'b' } },
  ],
});

test('a run: a folder per stage, manifest.json with versions, seeds, hashes, timings, artifacts and metrics; eval, compare and the final comparison', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'run');
  const recipe = plan(
    {
      name: 'full',
      seed: 2,
      data: { mnist: { key: 'mnist', kwargs: { limitTest: 200 } } },
      stages: [
        { name: 'base', key: 'test-source', kwargs: { hidden: 8 } },
        { name: 'copy', key: 'test-copy', seed: 5, inputs: { model: 'base.model' } },
        { name: 'check', key: 'eval', inputs: { model: 'copy.model', data: 'mnist' }, kwargs: quickEvaluation },
        { name: 'both', key: 'compare', inputs: { models: ['base.model', 'copy.model'], teacher: 'base.model', data: 'mnist' }, kwargs: quickEvaluation },
      ],
      report: { teacher: 'base', ...quickEvaluation },
    },
    dir,
  );
  const result = await runRecipe(recipe, { out, ...quiet, renderTable: (r) => `table of ${r.models.length}` });
  const manifest = readManifest(path.join(out, 'manifest.json'))!;
  assert.deepEqual(manifest, result.manifest);
  assert.equal(manifest.status, 'complete');
  assert.equal(manifest.recipe.name, 'full');
  assert.match(manifest.recipe.hash, /^[0-9a-f]{16}$/);
  assert.match(manifest.versions.onnxruntime, /^\d+\.\d+\.\d+/);
  assert.equal(manifest.versions.node, process.version);
  assert.deepEqual(manifest.stages.map((s) => [s.name, s.key, s.seed, s.status, s.attempts, s.skipped]), [
    ['base', 'test-source', 2, 'complete', 1, false],
    ['copy', 'test-copy', 5, 'complete', 1, false],
    ['check', 'eval', 2, 'complete', 1, false],
    ['both', 'compare', 2, 'complete', 1, false],
  ]);
  assert.equal(new Set(manifest.stages.map((s) => s.hash)).size, 4);
  for (const s of manifest.stages) {
    assert.ok(s.seconds! >= 0 && s.started! <= s.finished!, s.name);
    for (const file of Object.values(s.artifacts)) assert.ok(existsSync(path.join(out, file)), file);
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, s.name, 'metrics.json'), 'utf8')), s.metrics);
  }
  assert.deepEqual(manifest.stages[1]!.artifacts, { model: 'copy/model.onnx' });
  assert.deepEqual(manifest.stages[2]!.artifacts, { report: 'check/report.json', html: 'check/report.html' });
  // The eval stage's metrics are `retort eval`'s numbers for the copied model.
  const check = manifest.stages[2]!.metrics;
  assert.equal(check.testSamples, 200);
  assert.equal(check.parameters, 784 * 8 + 8 + 8 * 10 + 10);
  assert.equal(check.fileBytes, statSync(path.join(out, 'copy', 'model.onnx')).size);
  assert.ok(Math.abs((check.testError as number) + (check.testAccuracy as number) - 1) < 1e-12);
  assert.match(readFileSync(path.join(out, 'check', 'log.txt'), 'utf8'), /copy: test accuracy/);
  // The compare stage: both models, fidelity of the copy to the teacher (the same weights: full agreement).
  const both = JSON.parse(readFileSync(path.join(out, 'both', 'report.json'), 'utf8')) as ComparisonReport;
  assert.deepEqual(both.models.map((m) => m.name), ['base', 'copy']);
  assert.equal(both.teacher, 'base');
  assert.equal(both.models[1]!.fidelity!.agreement.value, 1);
  // The final comparison: every stage's model, named by stage, in the run folder.
  assert.deepEqual(manifest.comparison, { json: 'comparison.json', html: 'report.html', table: 'comparison.txt', data: 'mnist', teacher: 'base', models: ['base', 'copy'] });
  const comparison = JSON.parse(readFileSync(path.join(out, 'comparison.json'), 'utf8')) as ComparisonReport;
  assert.deepEqual(comparison.models.map((m) => m.name), ['base', 'copy']);
  assert.equal(comparison.data.samples, 200);
  assert.equal(comparison.models[1]!.metrics.accuracy.value, check.testAccuracy, 'the same numbers as the eval stage');
  assert.equal(readFileSync(path.join(out, 'comparison.txt'), 'utf8'), 'table of 2\n');
  assert.match(readFileSync(path.join(out, 'report.html'), 'utf8'), /retort run: full/);
});

test('re-running skips every finished stage; editing a stage reruns it and what reads it, nothing else', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'run');
  assert.deepEqual(await stagesRun(() => runRecipe(plan(chain(), dir), { out, ...quiet })), ['base', 'copy', 'other', 'last']);
  const mtime = statSync(path.join(out, 'copy', 'model.onnx')).mtimeMs;

  let manifest: Manifest | undefined;
  assert.deepEqual(await stagesRun(async () => (manifest = (await runRecipe(plan(chain(), dir), { out, ...quiet })).manifest)), []);
  assert.deepEqual(manifest!.stages.map((s) => s.skipped), [true, true, true, true]);
  assert.equal(statSync(path.join(out, 'copy', 'model.onnx')).mtimeMs, mtime);
  assert.equal(manifest!.comparison, null, 'no data entry: no comparison');

  assert.deepEqual(await stagesRun(() => runRecipe(plan(chain({ lastNote: 'c' }), dir), { out, ...quiet })), ['last'], 'the downstream stage alone');
  assert.deepEqual(await stagesRun(() => runRecipe(plan(chain({ lastNote: 'c', note: 'z' }), dir), { out, ...quiet })), ['copy', 'last']);
  assert.deepEqual(await stagesRun(() => runRecipe(plan(chain({ lastNote: 'c', note: 'z', hidden: 5 }), dir), { out, ...quiet })), ['base', 'copy', 'last']);
  // A deleted artifact makes its stage run again.
  rmSync(path.join(out, 'other', 'model.onnx'));
  assert.deepEqual(await stagesRun(() => runRecipe(plan(chain({ lastNote: 'c', note: 'z', hidden: 5 }), dir), { out, ...quiet })), ['other']);
});

test('stage hashes: kwargs with defaults written out or keys reordered hash the same; the seed, data entries and input file bytes count', () => {
  const dir = tempDir();
  const hashes = stageHashes(plan(chain(), dir));
  const reordered = { ...chain(), stages: chain().stages.map((s) => (s.name === 'copy' ? { kwargs: { fail: false, note: 'a' }, inputs: s.inputs, key: s.key, name: s.name } : s)) };
  assert.deepEqual(stageHashes(plan(reordered, dir)), hashes);
  const reseeded = stageHashes(plan({ ...chain(), seed: 2 }, dir));
  assert.ok([...hashes.keys()].every((k) => reseeded.get(k) !== hashes.get(k)));

  const file = path.join(dir, 'm.onnx');
  saveModel(buildArchitecture('mlp:3', { seed: 0 }), file);
  const reader = { name: 'f', stages: [{ name: 'c', key: 'test-copy', inputs: { model: 'm.onnx' } }] };
  const first = stageHashes(plan(reader, dir)).get('c');
  saveModel(buildArchitecture('mlp:3', { seed: 1 }), file);
  assert.notEqual(stageHashes(plan(reader, dir)).get('c'), first, 'new bytes in the input file');

  const withData = (limitTest: number) => ({ name: 'd', data: { mnist: { key: 'mnist', kwargs: { limitTest } } }, stages: [{ name: 'e', key: 'eval', inputs: { model: 'm.onnx', data: 'mnist' } }] });
  assert.notEqual(stageHashes(plan(withData(100), dir)).get('e'), stageHashes(plan(withData(200), dir)).get('e'));
});

test('an interrupted stage runs again with its checkpoint in place, which is removed once it completes; a failing stage is recorded', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'run');
  await runRecipe(plan(chain(), dir), { out, ...quiet });
  // What a run killed during `copy` leaves: the stage "running" in the manifest and its checkpoint.
  const manifestPath = path.join(out, 'manifest.json');
  const killed = readManifest(manifestPath)!;
  killed.stages[1]!.status = 'running';
  killed.stages[3]!.status = 'pending';
  writeFileSync(manifestPath, JSON.stringify(killed));
  writeFileSync(path.join(out, 'copy', 'checkpoint.ckpt'), 'state');
  let manifest: Manifest | undefined;
  assert.deepEqual(await stagesRun(async () => (manifest = (await runRecipe(plan(chain(), dir), { out, ...quiet })).manifest)), ['copy', 'last']);
  const copy = manifest!.stages[1]!;
  assert.deepEqual([copy.status, copy.attempts, copy.checkpointFound, copy.metrics.checkpointFound], ['complete', 2, true, true]);
  assert.ok(!existsSync(path.join(out, 'copy', 'checkpoint.ckpt')));

  // A stage with other settings starts in an empty folder: a stale checkpoint is not its to resume.
  const failing = chain({ note: 'x' });
  (failing.stages[1]!.kwargs as Record<string, unknown>).fail = true;
  writeFileSync(path.join(out, 'copy', 'checkpoint.ckpt'), 'state');
  await assert.rejects(runRecipe(plan(failing, dir), { out, ...quiet }), /asked to fail/);
  const failed = readManifest(manifestPath)!;
  assert.equal(failed.status, 'failed');
  assert.deepEqual(failed.stages.map((s) => s.status), ['complete', 'failed', 'complete', 'pending']);
  assert.equal(failed.stages[1]!.error, 'asked to fail');
  assert.ok(!existsSync(path.join(out, 'copy', 'checkpoint.ckpt')));
});
