/**
 * Training progress: a bar on a terminal (cli-progress), periodic plain lines otherwise (logs, CI),
 * or nothing (tests). Written to stderr so stdout stays free for --json results.
 */
import cliProgress from 'cli-progress';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

export interface StepReport {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  lr: number;
  samplesPerSecond: number;
}

export interface ProgressReporter {
  start(totalSteps: number, fromStep: number): void;
  step(report: StepReport): void;
  /** A line that must be seen (end of epoch), printed above the bar. */
  message(text: string): void;
  stop(): void;
}

const silent: ProgressReporter = { start() {}, step() {}, message() {}, stop() {} };

function lines(everySteps: number, write: (s: string) => void): ProgressReporter {
  return {
    start() {},
    step(r) {
      if (r.step % everySteps !== 0 && r.step !== r.totalSteps) return;
      write(`epoch ${r.epoch + 1} step ${r.step}/${r.totalSteps} loss ${r.loss.toFixed(4)} lr ${r.lr.toPrecision(3)} ${Math.round(r.samplesPerSecond)} samples/s\n`);
    },
    message: (text) => write(`${text}\n`),
    stop() {},
  };
}

function bar(): ProgressReporter {
  const progress = new cliProgress.SingleBar(
    { format: 'epoch {epoch} [{bar}] {value}/{total} loss {loss} {speed} samples/s', hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total, from) => progress.start(total, from, { epoch: 1, loss: '-', speed: '-' }),
    step: (r) => progress.update(r.step, { epoch: r.epoch + 1, loss: r.loss.toFixed(4), speed: Math.round(r.samplesPerSecond) }),
    message: (text) => {
      process.stderr.write(`\r\x1b[K${text}\n`);
      progress.render();
    },
    stop: () => progress.stop(),
  };
}

export function makeProgress(mode: ProgressMode, linesEverySteps = 100): ProgressReporter {
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'lines') : mode;
  if (resolved === 'silent') return silent;
  if (resolved === 'bar') return bar();
  return lines(linesEverySteps, (s) => process.stderr.write(s));
}
