#!/usr/bin/env node
/**
 * The `retort` command. Each command lives in its own file under commands/ and is registered in the
 * list below; this file only parses arguments and turns errors into messages and exit codes:
 * 0 success, 1 failure, 2 the command line itself is wrong (unknown option, bad option value).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isRetortError, type RetortErrorCode } from '../util/errors.js';
import { registerDemo } from './commands/demo.js';
import { registerGradcheck } from './commands/gradcheck.js';
import { registerInspect } from './commands/inspect.js';
import { registerTrain } from './commands/train.js';
import { registerDistill } from './commands/distill.js';
import { registerPruneStructured } from './commands/pruneStructured.js';
import { registerFactorize } from './commands/factorize.js';
import { registerCompressDeep } from './commands/compressDeep.js';
import { registerPrune } from './commands/prune.js';
import { registerEval } from './commands/eval.js';
import { registerCompare } from './commands/compare.js';
import { registerQat } from './commands/qat.js';
import { registerTernarize } from './commands/ternarize.js';
import { registerQuantize } from './commands/quantize.js';
import { registerGenerate } from './commands/generate.js';
import { registerRun } from './commands/run.js';

const commands: readonly ((program: Command) => void)[] = [registerInspect, registerGradcheck, registerTrain, registerDemo, registerDistill, registerEval, registerCompare, registerPrune, registerPruneStructured, registerFactorize, registerCompressDeep, registerQuantize, registerQat, registerTernarize, registerGenerate, registerRun];

/** RetortError codes that mean "the arguments are wrong", not "the work failed". */
const usageErrorCodes: ReadonlySet<RetortErrorCode> = new Set(['BAD_ARGUMENT', 'UNKNOWN_INPUT']);

function packageVersion(): string {
  // dist/src/cli/main.js -> package.json three levels up.
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function buildProgram(): Command {
  const program = new Command('retort')
    .description('Compress ONNX models and distill them into smaller ones, running everything in ONNX Runtime')
    .version(packageVersion(), '-V, --version', 'print the retort version')
    .option('--debug', 'print stack traces with error messages')
    .showHelpAfterError('(run with --help for usage)')
    // Throw instead of exiting, so one place decides exit codes; subcommands inherit this.
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Commander already printed its message (or the help / version text, exit code 0).
    return error.exitCode === 0 ? 0 : 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  else if (!isRetortError(error)) process.stderr.write('(an unexpected error; run with --debug for the stack trace)\n');
  return isRetortError(error) && usageErrorCodes.has(error.code) ? 2 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    // A command that ran but found a failure (gradcheck out of tolerance) sets process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // Read --debug from argv too: parsing may have failed before commander stored it.
    const debug = Boolean(program.opts().debug) || argv.includes('--debug');
    return reportError(error, debug);
  }
}

// `retort ... | head`: the reader closing the pipe is not an error of ours; stop quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv);
