/**
 * The run folder's manifest.json: which recipe ran (its hash), with which retort, ONNX Runtime and
 * Node, and for every stage its kind, seed, hash, status, timings, artifacts (paths relative to the
 * run folder) and metrics. It is rewritten atomically on every change of a stage's status, so a
 * run killed at any moment leaves a manifest that says which stages finished and which one was
 * running; the next run reads it to skip the finished ones and resume the running one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../util/atomicWrite.js';

export const MANIFEST_FILE = 'manifest.json';

/**
 * `pending`: not reached yet in this run; `running`: started and not finished (a killed run leaves
 * this, and its checkpoint); `failed`: stopped by an error (re-run: resumed like `running`);
 * `complete`: its artifacts are on disk.
 */
export type StageStatus = 'pending' | 'running' | 'failed' | 'complete';

export interface StageRecord {
  name: string;
  key: string;
  seed: number;
  hash: string;
  status: StageStatus;
  /** ISO 8601 times of the last start and finish. */
  started: string | null;
  finished: string | null;
  /** Wall seconds of the attempt that completed it (or of the current attempt, while running). */
  seconds: number | null;
  /** Starts of this stage with this hash: more than 1 after an interruption or failure. */
  attempts: number;
  /** Whether the last start found a checkpoint from an interrupted attempt in the stage folder. */
  checkpointFound: boolean;
  /** Reused from an earlier run with the same hash, not run again. */
  skipped: boolean;
  /** Output name -> file, relative to the run folder. */
  artifacts: Record<string, string>;
  metrics: Record<string, unknown>;
  error?: string;
}

export interface ComparisonRecord {
  /** Files relative to the run folder. */
  json: string;
  html: string;
  table: string | null;
  data: string;
  teacher: string | null;
  models: string[];
}

export interface Manifest {
  format: 'retort-run';
  version: 1;
  recipe: { name: string; file: string; hash: string; vars: Record<string, unknown> };
  versions: { retort: string; onnxruntime: string; node: string };
  created: string;
  updated: string;
  /** running: a stage is in progress (or the run was killed); complete: every stage and the comparison finished. */
  status: 'running' | 'failed' | 'interrupted' | 'complete';
  stages: StageRecord[];
  comparison: ComparisonRecord | null;
}

/** The manifest an earlier run left in `path`, or null (absent, unreadable or another format). */
export function readManifest(path: string): Manifest | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Manifest>;
    return parsed.format === 'retort-run' && parsed.version === 1 && Array.isArray(parsed.stages) ? (parsed as Manifest) : null;
  } catch {
    return null;
  }
}

export function writeManifest(path: string, manifest: Manifest): void {
  manifest.updated = new Date().toISOString();
  writeFileAtomic(path, `${JSON.stringify(manifest, null, 2)}\n`);
}
