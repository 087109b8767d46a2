/**
 * `bench:lm --quick` as a smoke test: every stage of the language-model benchmark runs at tiny sizes,
 * writes its row, and a second invocation reuses the finished stages (the resume path).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STAGES = ['teacher', 'data', 'forward-kl', 'reverse-kl', 'reverse-kl-on-policy', 'sequence-kd', 'magnitude-layer', 'magnitude-row', 'wanda', 'wanda-sequential', 'q4-rtn', 'q4-gptq', 'width-pruned', 'minitron-width'];

test('bench:lm --quick runs every stage, and a second run reuses them', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'retort-bench-lm-'));
  try {
    const run = () => spawnSync(process.execPath, ['dist/bench/lm.bench.js', '--quick', '--threads', '1', '--out', out], { encoding: 'utf8' });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as Record<string, { validationLoss: number; parameters: number; sample?: string; judged?: { judgeLoss: number; selfLoss: number; distinct4: number } }>;
    assert.deepEqual(Object.keys(results).sort(), [...STAGES].sort());
    for (const stage of STAGES) assert.ok(Number.isFinite(results[stage]!.validationLoss), `${stage} has a validation loss`);
    assert.ok(results.data!.parameters <= results.teacher!.parameters / 4);
    assert.ok(results['width-pruned']!.parameters < results.teacher!.parameters, 'width pruning removes parameters');
    assert.equal(results['minitron-width']!.parameters, results['width-pruned']!.parameters, 'the retrain keeps the pruned shape');
    for (const stage of ['teacher', 'data', 'forward-kl', 'reverse-kl', 'reverse-kl-on-policy', 'sequence-kd', 'minitron-width']) {
      const j = results[stage]!.judged;
      assert.ok(j && Number.isFinite(j.judgeLoss) && Number.isFinite(j.selfLoss) && j.distinct4 > 0, `${stage}'s samples are judged: ${JSON.stringify(j)}`);
    }
    assert.equal(results.teacher!.judged!.judgeLoss, results.teacher!.judged!.selfLoss, "the teacher's own samples: judge and writer agree");
    assert.match(first.stdout, /\| validation text \| \d+\.\d{4} \|/);
    assert.match(first.stdout, /QUICK SMOKE RUN, NOT A RESULT/);
    assert.match(first.stdout, /\| token-level reverse KL \(teacher-forced on text\)/);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.doesNotMatch(second.stderr, /epoch 1|validation loss|teacher samples|its samples under the teacher/, 'nothing is trained or scored again');
    assert.deepEqual(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')), results);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
