/** `retort prune-structured --structure heads|mlp|layers` end to end on the PyTorch-exported gpt_tiny and Tiny Shakespeare. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../../src/onnx/model.js';
import { fixturesDir } from '../../helpers/fixtures.js';
import { maxAbsDiff, runFirstOutput } from './helpers.js';
import { tokenFeeds } from './transformerHelpers.js';

const cli = path.resolve('dist/src/cli/main.js');
const model = path.join(fixturesDir, 'gpt_tiny.onnx');
const text = `text:${path.resolve('../shared/data/tinyshakespeare.txt')}`;
const run = (args: string[]) => spawnSync(process.execPath, [cli, 'prune-structured', model, ...args, '--threads', '1'], { encoding: 'utf8' });

interface Report {
  parametersBefore: number;
  parametersAfter: number;
  macsBefore: number;
  macsAfter: number;
  layers: { keptHeads: number[]; mlpKept: number; dropped: boolean }[];
  validation: Record<string, { loss: number; perplexity: number; tokens: number }>;
}

test('heads, MLP width and a layer pruned from the command line, with calibration and perplexity from text', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'retort-prune-transformer-'));
  try {
    const out = path.join(dir, 'pruned.onnx');
    const result = run(['--out', out, '--structure', 'heads,mlp,layers', '--keep-heads', '3', '--mlp-fraction', '0.5', '--drop-layers', '1', '--data', text, '--calibration-size', '32', '--eval-windows', '16',
      '--fine-tune-epochs', '1', '--steps-per-epoch', '15', '--batch-size', '16', '--lr', '0.003', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    assert.equal(report.layers.filter((l) => l.dropped).length, 1);
    const kept = report.layers.find((l) => !l.dropped)!;
    assert.equal(kept.keptHeads.length, 3);
    assert.equal(kept.mlpKept, 96);
    assert.ok(report.parametersAfter < report.parametersBefore && report.macsAfter < report.macsBefore);
    assert.equal(report.validation.before!.tokens, 16 * 32);
    assert.ok(Number.isFinite(report.validation.pruned!.loss));
    // gpt_tiny is untrained (about ln 65 nats); 15 AdamW steps on the text lower the loss of the pruned model.
    assert.ok(report.validation.fineTuned!.loss < report.validation.pruned!.loss - 0.2, JSON.stringify(report.validation));
    assert.ok(existsSync(out) && existsSync(path.join(dir, 'pruned.vocab.json')));

    // With weight norms and nothing removed, the written model computes what gpt_tiny does.
    const same = path.join(dir, 'same.onnx');
    const table = run(['--out', same, '--structure', 'heads', '--keep-heads', '4', '--importance', 'l2']);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /layer 0 +4\/4 \(0,1,2,3\)/);
    const [a, b] = await Promise.all([loadModel(model), loadModel(same)].map((m) => runFirstOutput(m, tokenFeeds(m, 2, 32, 65))));
    assert.equal(maxAbsDiff(a!.data, b!.data), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wrong transformer pruning options exit 2 and say what is missing', () => {
  const out = path.join(os.tmpdir(), 'retort-never-written.onnx');
  const cases: [string[], RegExp][] = [
    [['--structure', 'heads'], /--keep-heads N \(per layer\) or --head-fraction X/],
    [['--structure', 'channels', '--keep-heads', '2'], /--keep-heads needs --structure heads\|mlp\|layers/],
    [['--structure', 'blocks', '--steps-per-epoch', '2'], /--steps-per-epoch needs --structure heads\|mlp\|layers/],
    [['--structure', 'mlp', '--mlp-fraction', '0.5'], /needs --data text:PATH; without data use --importance l1 or l2/],
    [['--structure', 'heads', '--keep-heads', '2', '--target-macs', '0.5'], /--target-macs applies to --structure channels and blocks/],
    [['--structure', 'layers', '--drop-layers', '2', '--importance', 'l1'], /Layers to drop: 2; expected an integer from 0 to 1/],
    [['--structure', 'heads,norms', '--keep-heads', '2'], /should be one of: heads, mlp, layers/],
  ];
  for (const [args, message] of cases) {
    const result = run(['--out', out, ...args]);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message, args.join(' '));
  }
});
