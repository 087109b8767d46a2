/**
 * `bench:prune` at tiny sizes as a smoke test: the lottery rounds and the one-shot Wanda/magnitude
 * comparison each write their rows, and a second invocation reuses the finished seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('bench:prune at tiny sizes writes lottery and one-shot rows, a second run reuses the seed, a third adds a missing method', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-bench-prune-'));
  const out = path.join(dir, 'prune.json');
  try {
    const run = () => spawnSync(process.execPath, ['dist/bench/prune.bench.js', '--limit-train', '300', '--epochs', '1', '--seeds', '1', '--targets', '0.5', '--one-shot', '0.5', '--threads', '1', '--out', out], { encoding: 'utf8' });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { seeds: number[]; lottery: { sparsity: number; ticket: number; reinit: number | null }[]; oneShot: { method: string; accuracy: number; layerErrors: { layer: string; pooled: number }[] }[] };
    assert.deepEqual(results.seeds, [1]);
    assert.deepEqual(results.lottery.map((r) => r.sparsity), [0, 0.5]);
    assert.equal(results.lottery[0]!.reinit, null, 'the dense round has no control');
    assert.ok(results.lottery[1]!.reinit !== null && results.lottery[1]!.reinit > 0);
    assert.deepEqual(results.oneShot.map((r) => r.method), ['magnitude, per layer', 'magnitude, per row', 'Wanda, per row', 'Wanda, per row, sequential']);
    for (const r of results.oneShot) {
      assert.ok(r.accuracy > 0.1 && r.accuracy <= 1, `${r.method}: accuracy ${r.accuracy}`);
      assert.deepEqual(r.layerErrors.map((l) => l.layer), ['fc1.weight', 'fc2.weight', 'fc3.weight']);
      assert.ok(r.layerErrors.every((l) => l.pooled > 0 && l.pooled < 1), `${r.method}: ${JSON.stringify(r.layerErrors)}`);
    }
    assert.match(first.stdout, /Wanda, per row, sequential − magnitude, per row/);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /seed 1: reused/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), results);
    // A one-shot method missing from a finished seed: its dense model is trained again (the run checks
    // it scores as round 0 did) and only that method runs.
    writeFileSync(out, JSON.stringify({ ...results, oneShot: results.oneShot.filter((r) => r.method !== 'Wanda, per row, sequential') }));
    const third = run();
    assert.equal(third.status, 0, third.stderr);
    assert.match(third.stdout, /dense model re-trained .* for 1 one-shot rows/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
