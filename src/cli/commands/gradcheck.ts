/** `retort gradcheck MODEL --ref DIR`: trust retort's gradients on your own model. */
import type { Command } from 'commander';
import { checkAgainstFiniteDifferences, checkAgainstReference, type GradcheckResult } from '../../eval/gradcheck/gradcheck.js';
import { loadReference } from '../../eval/gradcheck/reference.js';
import { loadModel } from '../../onnx/model.js';
import { formatTable } from '../format.js';
import { parseNumber } from '../trainingOptions.js';

interface GradcheckFlags {
  ref?: string;
  tolerance?: string;
  seed: string;
  samples: string;
  batch: string;
  json?: boolean;
}

function printResult(result: GradcheckResult): void {
  const rows = result.checks.map((c) => [c.name, String(c.elements), c.relativeError.toExponential(2), c.pass ? 'ok' : 'FAIL']);
  process.stdout.write(formatTable(['tensor', 'elements', 'relative error', 'result'], rows) + '\n');
  const failed = result.checks.filter((c) => !c.pass).length;
  process.stdout.write(
    `${result.mode}: ${result.checks.length - failed} of ${result.checks.length} within tolerance ${result.tolerance}` +
      (result.mode === 'finite-differences' ? ' (float32 differences, plus their rounding noise)' : '') + '\n',
  );
}

export function registerGradcheck(program: Command): void {
  program
    .command('gradcheck')
    .description(
      "Compare retort's loss and gradients for MODEL with a reference computed by another framework (--ref), " +
        'or with finite differences on a random input. The loss is the mean softmax cross-entropy of the first output ' +
        'over its last axis. Exits 0 only if every tensor is within tolerance.',
    )
    .argument('<model>', 'ONNX model file')
    .option('--ref <dir>', 'reference folder: manifest.json with input, labels, loss, logits and gradients (the layout of shared/fixtures/torch/NAME.ref)')
    .option('--tolerance <x>', 'largest accepted relative error: max|retort - reference| / max|reference| per tensor (default 1e-3 with --ref, 2e-2 for finite differences)')
    .option('--seed <n>', 'seed of the random input, labels and sampled elements (finite differences)', '0')
    .option('--samples <n>', 'elements sampled per tensor (finite differences)', '6')
    .option('--batch <n>', 'size of symbolic input dims (finite differences)', '2')
    .option('--json', 'print the result as JSON')
    .action(async (modelPath: string, flags: GradcheckFlags) => {
      const model = loadModel(modelPath);
      const tolerance = parseNumber('--tolerance', flags.tolerance ?? (flags.ref ? '1e-3' : '2e-2'), 'positive');
      const result = flags.ref
        ? await checkAgainstReference(model, loadReference(flags.ref), tolerance)
        : await checkAgainstFiniteDifferences(model, {
            tolerance,
            seed: Number(flags.seed),
            samples: parseNumber('--samples', flags.samples, 'positive-int'),
            batch: parseNumber('--batch', flags.batch, 'positive-int'),
          });
      if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      else printResult(result);
      if (!result.pass) process.exitCode = 1;
    });
}
