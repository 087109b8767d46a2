/**
 * `bench:prune` at tiny sizes as a smoke test: the lottery rounds and the one-shot Wanda/magnitude
 * comparison each write their rows, and a second invocation reuses the finished seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

test('bench:prune at tiny sizes writes lottery and one-shot rows, and a second run reuses the seed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-bench-prune-'));
  const out = path.join(dir, 'prune.json');
  try {
    const run = () => spawnSync(process.execPath, ['dist/bench/prune.bench.js', '--limit-train', '300', '--epochs', '1', '--seeds', '1', '--targets', '0.5', '--one-shot', '0.5', '--threads', '1', '--out', out], { encoding: 'utf8' });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    const results = JSON.parse(readFileSync(out, 'utf8')) as { seeds: number[]; lottery: { sparsity: number; ticket: number; reinit: number | null }[]; oneShot: { method: string; accuracy: number }[] };
    assert.deepEqual(results.seeds, [1]);
    assert.deepEqual(results.lottery.map((r) => r.sparsity), [0, 0.5]);
    assert.equal(results.lottery[0]!.reinit, null, 'the dense round has no control');
    assert.ok(results.lottery[1]!.reinit !== null && results.lottery[1]!.reinit > 0);
    assert.deepEqual(results.oneShot.map((r) => r.method), ['magnitude, per layer', 'magnitude, per row', 'Wanda, per row']);
    for (const r of results.oneShot) assert.ok(r.accuracy > 0.1 && r.accuracy <= 1, `${r.method}: accuracy ${r.accuracy}`);
    assert.match(first.stdout, /Wanda − magnitude per row/);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /seed 1: reused/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), results);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
