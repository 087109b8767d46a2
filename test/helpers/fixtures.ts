/**
 * The PyTorch-exported reference models in ../shared/fixtures/torch (see its README.md): each
 * NAME.onnx with a NAME.ref folder, read by the product's own reference reader.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadReference, type Reference } from '../../src/eval/gradcheck/reference.js';

/** Resolved from the repository root, where the tests are run. */
export const fixturesDir = path.resolve(process.cwd(), '../shared/fixtures/torch');

/** Names of the fixtures present: every NAME.onnx that has a NAME.ref folder. */
export const fixtureNames: readonly string[] = existsSync(fixturesDir)
  ? readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.onnx') && existsSync(path.join(fixturesDir, f.replace(/\.onnx$/, '.ref'))))
      .map((f) => f.replace(/\.onnx$/, ''))
      .sort()
  : [];

export interface Fixture extends Reference {
  name: string;
  modelPath: string;
}

export function loadFixture(name: string): Fixture {
  return { ...loadReference(path.join(fixturesDir, `${name}.ref`)), name, modelPath: path.join(fixturesDir, `${name}.onnx`) };
}
