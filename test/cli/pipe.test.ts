import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

test('output into a pipe whose reader has gone ends quietly, without a stack trace', async () => {
  // The reader closes the pipe before retort writes (as `retort ... | head` does mid-output).
  const child = spawn(process.execPath, ['dist/src/cli/main.js', 'demo', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /);
  assert.equal(code, 0);
});
