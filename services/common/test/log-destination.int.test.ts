import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The smallest service there is (createLogger + onShutdown from the built package) under a
// supervisor that stopped reading its stdout, or died. pino's own destination hung in both:
// its exit handler retried a synchronous write to the full or broken pipe forever.

const COMMON = path.resolve(__dirname, '..', 'dist', 'index.js');
const SERVICE = `
const { createLogger, onShutdown } = require(${JSON.stringify(COMMON)});
const logger = createLogger('tiny', 'info');
for (let i = 0; i < Number(process.argv[2]); i++) logger.info({ i, pad: 'x'.repeat(200) }, 'filler');
onShutdown(logger, 2000, [['nothing', async () => undefined]]);
setInterval(() => undefined, 1000);
require('node:fs').writeFileSync(process.argv[3], 'ready');
`;

describe('a service with nobody reading its stdout', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-logdest-'));
    writeFileSync(path.join(dir, 'service.js'), SERVICE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['its pipe is full (reader alive, not reading)', 2000, false],
    ['its reader was killed before the shutdown logged anything (EPIPE)', 10, true],
  ])('exits on SIGTERM when %s', async (_what, lines, killReader) => {
    const ready = path.join(dir, `ready-${lines}`);
    const readerPidFile = path.join(dir, `reader-${lines}`);
    // bash: stdout and stderr into a pipe read by `sleep` (which never reads), then exec node.
    const proc = spawn('bash', ['-c', 'exec > >(exec sleep 600) 2>&1; echo $! > "$1"; shift; exec "$@"', 'bash', readerPidFile, process.execPath, path.join(dir, 'service.js'), String(lines), ready], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const readerPid = () => Number(readFileSync(readerPidFile, 'utf8').trim());
    try {
      for (let i = 0; i < 100 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(ready)).toBe(true);
      if (killReader) process.kill(readerPid(), 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      proc.kill('SIGTERM');
      const outcome = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000).unref())]);
      expect(outcome).toBe(0);
    } finally {
      proc.kill('SIGKILL');
      try {
        process.kill(readerPid(), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
});
