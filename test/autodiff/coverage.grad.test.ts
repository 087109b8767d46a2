import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gradientRules } from '../../src/autodiff/registerAll.js';

// Tests run from the repository root (scripts/run-tests.mjs).
const doc = readFileSync('docs/gradients.md', 'utf8');
const documented = new Set([...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));
const registered = new Set(gradientRules.map(([op]) => op));
const regenerate = 'regenerate it: npx tsc -p . && node scripts/gradient-coverage.mjs';

test('docs/gradients.md lists every registered gradient rule', () => {
  const missing = [...registered].filter((op) => !documented.has(op));
  assert.deepEqual(missing, [], `docs/gradients.md lacks ${missing.join(', ')}; ${regenerate}`);
});

test('docs/gradients.md lists no op without a registered rule', () => {
  const extra = [...documented].filter((op) => !registered.has(op));
  assert.deepEqual(extra, [], `docs/gradients.md lists unregistered ${extra.join(', ')}; ${regenerate}`);
});
