/**
 * A black-box teacher as a command, run once over the training inputs. The protocol:
 *   stdin   one JSON line per training sample, in dataset order:
 *             {"index": 0, "dims": [1, 28, 28], "input": [0, 0.5, ...]}
 *           `input` is the sample's floats, row-major over `dims`, each written with 9 significant
 *           digits (enough to recover the float32 exactly); stdin is closed after the last sample.
 *   stdout  the teacher outputs, one JSON line per sample in the same order (teacherOutputs.ts):
 *             {"label": 3}   or   {"topk": [[3, 0.91], [5, 0.06]]}
 *   exit    0; any other status fails the run, quoting the end of stderr. A run past the timeout (if
 *           given) is stopped (SIGTERM, then SIGKILL) and fails the run too.
 * The command is an argv array started with child_process.spawn and no shell: no user data is ever
 * interpolated into a command line. splitCommandLine turns one option string into that array.
 */
import { spawn } from 'node:child_process';
import type { Dataset } from '../../data/dataset.js';
import { RetortError } from '../../util/errors.js';
import { parseTeacherOutputs, type TeacherOutput } from './teacherOutputs.js';

/** Characters of the teacher's stderr quoted when it fails. */
const STDERR_TAIL = 2000;
/** Grace between SIGTERM and SIGKILL for a teacher past its timeout. */
const KILL_GRACE_MS = 5000;

export interface TeacherCommandOptions {
  /** Seconds the whole run may take; none: no limit. */
  timeoutSeconds?: number;
}

/**
 * Splits a command line into argv without a shell: words are separated by whitespace; '...' quotes
 * literally and "..." quotes with \" and \\ as the only escapes. No variables, globs, pipes or
 * redirections: `$HOME`, `*` and `|` are ordinary characters.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
    } else if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (quote !== null) throw new RetortError('BAD_ARGUMENT', `Teacher command ${JSON.stringify(text)}: unclosed ${quote} quote`);
  if (inWord) words.push(word);
  if (words.length === 0) throw new RetortError('BAD_ARGUMENT', 'Teacher command is empty: expected a program and its arguments, e.g. "python3 teacher.py --top-k 3"');
  return words;
}

/** One stdin line of the protocol for sample `index`. */
export function teacherInputLine(dataset: Dataset, index: number): string {
  const size = dataset.inputs.length / dataset.length;
  const row = dataset.inputs.subarray(index * size, (index + 1) * size);
  const input = Array.from(row, (x) => Number(x.toPrecision(9)));
  return JSON.stringify({ index, dims: dataset.inputDims, input });
}

/** Runs the teacher command over every sample of `dataset` and returns its raw stdout. */
export async function runTeacherCommand(argv: readonly string[], dataset: Dataset, options: TeacherCommandOptions = {}): Promise<string> {
  if (argv.length === 0) throw new RetortError('BAD_ARGUMENT', 'Teacher command is empty');
  const { timeoutSeconds } = options;
  if (timeoutSeconds !== undefined && !(Number.isFinite(timeoutSeconds) && timeoutSeconds > 0)) throw new RetortError('BAD_ARGUMENT', `Teacher command timeout ${timeoutSeconds} s: expected a positive number of seconds`);
  const [program, ...args] = argv as [string, ...string[]];
  const name = JSON.stringify(argv.join(' '));
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  // A teacher that exits early closes its stdin (EPIPE): its exit status tells the story, not the pipe.
  child.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolveExit, rejectExit) => {
    child.on('error', (error) => rejectExit(new RetortError('FILE_NOT_FOUND', `Teacher command ${name} could not start: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => resolveExit(signal ? null : code));
  });
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  if (timeoutSeconds !== undefined) {
    timers.push(setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      timers.push(setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS));
    }, timeoutSeconds * 1000));
  }
  const writing = (async () => {
    for (let i = 0; i < dataset.length; i++) {
      if (child.stdin.destroyed) return;
      if (!child.stdin.write(teacherInputLine(dataset, i) + '\n')) {
        await new Promise<void>((resolveDrain) => {
          child.stdin.once('drain', resolveDrain);
          child.stdin.once('close', resolveDrain);
        });
      }
    }
    child.stdin.end();
  })();
  const [code] = await Promise.all([exited, writing]).finally(() => timers.forEach(clearTimeout));
  if (timedOut) throw new RetortError('RUNTIME_FAILURE', `Teacher command ${name} did not finish within ${timeoutSeconds} s and was stopped${stderr ? `; its stderr ends: ${stderr.trim()}` : ''}`);
  if (code !== 0) {
    const status = code === null ? 'was killed by a signal' : `exited with status ${code}`;
    throw new RetortError('RUNTIME_FAILURE', `Teacher command ${name} ${status}${stderr ? `; its stderr ends: ${stderr.trim()}` : ''}`);
  }
  return Buffer.concat(stdout).toString('utf8');
}

/** The teacher's outputs for every sample of `dataset`, validated line by line. */
export async function teacherCommandOutputs(argv: readonly string[], dataset: Dataset, options: TeacherCommandOptions = {}): Promise<{ outputs: TeacherOutput[]; text: string }> {
  const text = await runTeacherCommand(argv, dataset, options);
  return { outputs: parseTeacherOutputs(text, { samples: dataset.length, classes: dataset.numClasses, source: `from command ${JSON.stringify(argv.join(' '))}` }), text };
}
