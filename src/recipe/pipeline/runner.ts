/**
 * `retort run`: a validated recipe's stages in order, each in its own folder of the run folder,
 * with manifest.json rewritten atomically at every status change. Finished stages with the same
 * hash are reused, an interrupted one runs again with its checkpoint in place (so a training stage
 * resumes where it stopped), and the run ends with the comparison of every model it made.
 * SIGINT/SIGTERM (when `handleSignals`) record the interruption and exit; the manifest on disk is
 * consistent at every moment anyway, since it is only ever replaced whole.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { retortVersion, type ComparisonReport, type LanguageModelReport } from '../../report/index.js';
import { runtimeVersion } from '../../runtime/session.js';
import { compareRunModels } from './comparison.js';
import { dataInput } from './data.js';
import { recipeHash, stageHashes } from './hash.js';
import { MANIFEST_FILE, readManifest, writeManifest, type Manifest, type StageRecord } from './manifest.js';
import type { DataInput } from './stageKind.js';
import { runStage } from './stageRun.js';
import type { Recipe } from './validate.js';

export interface RunOptions {
  /** The run folder; created if absent, reused (stages skipped or resumed) if it holds an earlier run. */
  out: string;
  /** ORT intra-op threads; undefined for ORT's default. */
  threads?: number;
  /** Progress bars (a terminal) rather than periodic lines. */
  progress?: boolean;
  log?: (line: string) => void;
  /** Record SIGINT/SIGTERM in the manifest and exit (the CLI); a library caller keeps its own handlers. */
  handleSignals?: boolean;
  /** Renders the comparison as text for comparison.txt (the CLI passes its table). */
  renderTable?: (report: ComparisonReport) => string;
}

export interface RunResult {
  dir: string;
  manifest: Manifest;
  /** The final comparison, or null when there was nothing to compare or no data (or the data is text). */
  comparison: ComparisonReport | null;
  /** The final comparison of a run whose report data is a text entry (language models), else null. */
  languageModels: LanguageModelReport | null;
}

/** The default run folder: ./retort-runs/NAME. */
export const defaultRunFolder = (recipe: Pick<Recipe, 'name'>): string => resolve('retort-runs', recipe.name);

function pendingRecord(name: string, key: string, seed: number, hash: string): StageRecord {
  return { name, key, seed, hash, status: 'pending', started: null, finished: null, seconds: null, attempts: 0, checkpointFound: false, skipped: false, artifacts: {}, metrics: {} };
}

/** Exits on SIGINT/SIGTERM after recording the interruption; returns the function that removes the handlers. */
function onInterrupt(save: (signal: NodeJS.Signals) => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    save(signal);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function runRecipe(recipe: Recipe, options: RunOptions): Promise<RunResult> {
  const out = resolve(options.out);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  mkdirSync(out, { recursive: true });
  const manifestPath = join(out, MANIFEST_FILE);
  const previous = readManifest(manifestPath);
  const previousStages = new Map((previous?.stages ?? []).map((s) => [s.name, s]));
  const hashes = stageHashes(recipe);
  const now = new Date().toISOString();
  const manifest: Manifest = {
    format: 'retort-run',
    version: 1,
    recipe: { name: recipe.name, file: recipe.source, hash: recipeHash(recipe), vars: { ...recipe.vars } },
    versions: { retort: retortVersion(), onnxruntime: runtimeVersion(), node: process.version },
    created: previous?.created ?? now,
    updated: now,
    status: 'running',
    // A stage keeps its earlier record (complete, or running with a checkpoint) until it is reached,
    // so a run killed before then loses nothing.
    stages: recipe.stages.map((s) => {
      const hash = hashes.get(s.name)!;
      const earlier = previousStages.get(s.name);
      return earlier?.hash === hash ? { ...earlier } : pendingRecord(s.name, s.key, s.seed, hash);
    }),
    comparison: null,
  };
  const save = () => writeManifest(manifestPath, manifest);
  save();
  const records = new Map(manifest.stages.map((r) => [r.name, r]));
  const data: Record<string, DataInput> = Object.fromEntries(Object.entries(recipe.data).map(([name, entry]) => [name, dataInput(name, entry, recipe.baseDir)]));
  let current: string | null = null;
  const release = options.handleSignals
    ? onInterrupt((signal) => {
        manifest.status = 'interrupted';
        save();
        log(`${signal}: stopped${current ? ` during stage "${current}"; run the same command again to resume it from its checkpoint` : ''}`);
      })
    : () => {};
  try {
    const env = { out, threads: options.threads, progress: options.progress ?? false, log, data, records, save };
    for (const [i, stage] of recipe.stages.entries()) {
      current = stage.name;
      await runStage(stage, manifest.stages[i]!, previousStages.get(stage.name), env);
    }
    current = null;
    const comparison = await compareRunModels(recipe, { out, records, data, threads: options.threads, log, ...(options.renderTable ? { renderTable: options.renderTable } : {}) });
    manifest.comparison = comparison?.record ?? null;
    manifest.status = 'complete';
    save();
    return { dir: out, manifest, comparison: comparison?.report ?? null, languageModels: comparison?.languageModels ?? null };
  } catch (error) {
    manifest.status = 'failed';
    save();
    throw error;
  } finally {
    release();
  }
}
