import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, TradingService } from '@tbot/common';
import { canConnect, freePort, waitFor, type ServiceName } from '@tbot/local-stack';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// A service whose supervisor died, or stopped reading, has no one reading its stdout: SIGTERM
// must still stop it within seconds. Each service runs here as a supervisor would run it,
// its stdout and stderr a pipe, but the pipe's reader is `sleep`, which never reads: first
// the pipe fills up (reader alive), then, in the second case, the reader is killed (EPIPE).
// With pino's own destination both hung for good: its exit handler retried a synchronous
// write to the full or broken pipe forever (services/common/src/log-destination.ts).

const NO_USER = '00000000-0000-4000-8000-000000000000';
/** Lines to log before the signal: well past a pipe's 64 KiB, so the pipe is full. */
const REQUESTS = 1500;
const EXIT_WITHIN_MS = 5000;

interface Unread {
  proc: ChildProcess;
  /** The process holding the pipe's read end without ever reading. */
  readerPid: number;
  exited: Promise<number | null>;
}

describe('shutdown when nobody reads stdout', () => {
  let h: BillingHarness;
  let dir: string;
  const started: Unread[] = [];

  beforeAll(async () => {
    h = await startBillingHarness();
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-shutdown-'));
  });
  afterAll(async () => {
    for (const u of started) {
      u.proc.kill('SIGKILL');
      try {
        process.kill(u.readerPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Another copy of the service on ports of its own, through bash: stdout and stderr go to
   * a process substitution whose reader is `sleep`; bash then execs node, so the pid is the service's.
   */
  async function startUnread(name: ServiceName): Promise<{ unread: Unread; port: number }> {
    const { command, args, env } = h.stack.serviceCommand(name);
    const port = await freePort();
    const ports: Record<ServiceName, NodeJS.ProcessEnv> = {
      gateway: { PORT: String(port), OPS_PORT: String(await freePort()), IP_RATE_LIMIT_PER_MINUTE: '1000000' },
      billing: { BILLING_PORT: String(port), METRICS_PORT: String(await freePort()) },
      trading: { TRADING_PORT: String(port), METRICS_PORT: String(await freePort()) },
      notifications: { NOTIFICATIONS_PORT: String(port), METRICS_PORT: String(await freePort()) },
    };
    const pidFile = path.join(dir, `${name}-${port}.reader`);
    const proc = spawn('bash', ['-c', 'exec > >(exec sleep 600) 2>&1; echo $! > "$READER_PID_FILE"; exec "$@"', 'bash', command, ...args], {
      env: { ...env, ...ports[name], READER_PID_FILE: pidFile, LOG_LEVEL: 'info' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
    await waitFor(`${name} (stdout unread) to listen`, async () => {
      if (proc.exitCode !== null) throw new Error(`${name} exited with ${proc.exitCode}`);
      return canConnect('127.0.0.1', port);
    }, 30_000);
    const unread = { proc, readerPid: Number(readFileSync(pidFile, 'utf8').trim()), exited };
    started.push(unread);
    return { unread, port };
  }

  /** Makes the service log REQUESTS lines: calls it refuses (each refusal is logged). */
  async function makeItLog(name: ServiceName, port: number): Promise<void> {
    const url = `http://127.0.0.1:${port}`;
    const one: () => Promise<unknown> =
      name === 'gateway'
        ? () =>
            fetch(`${url}/api/payments/stripe/webhook`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' },
              body: '{}',
            }).then((r) => r.arrayBuffer())
        : name === 'billing'
          ? () => createClient(BillingService, transport(url)).getUser({ userId: NO_USER })
          : () => createClient(TradingService, transport(url)).getRiskProfile({ userId: NO_USER });
    for (let i = 0; i < REQUESTS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => one().catch(() => undefined)));
    }
  }
  const transports = new Map<string, ReturnType<typeof createGrpcTransport>>();
  const transport = (url: string) => {
    let t = transports.get(url);
    if (!t) transports.set(url, (t = createGrpcTransport({ baseUrl: url })));
    return t;
  };

  const hung = (ms: number) => new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref());
  const exitsWithin = (u: Unread, ms: number) => Promise.race([u.exited.then((code) => ({ code })), hung(ms)]);

  describe.each(['gateway', 'billing', 'trading'] as const)('%s', (name) => {
    it('exits on SIGTERM while its stdout pipe is full (reader alive, not reading)', async () => {
      const { unread, port } = await startUnread(name);
      await makeItLog(name, port);
      unread.proc.kill('SIGTERM');
      expect(await exitsWithin(unread, EXIT_WITHIN_MS)).toEqual({ code: 0 });
    });

    it('exits on SIGTERM after the reader of its stdout was killed (EPIPE)', async () => {
      const { unread } = await startUnread(name);
      process.kill(unread.readerPid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      // Nothing was logged since the reader died: the shutdown's own lines are the first to
      // meet the broken pipe, with the exit right behind them.
      unread.proc.kill('SIGTERM');
      expect(await exitsWithin(unread, EXIT_WITHIN_MS)).toEqual({ code: 0 });
    });
  });

  it('the services of the stack still exit on SIGTERM after their supervisor closed its end of the pipes', async () => {
    for (const name of ['gateway', 'billing', 'trading']) {
      const child = h.stack.children.get(name)!;
      child.proc.stdout?.destroy();
      child.proc.stderr?.destroy();
      await fetch(`${h.stack.gatewayOpsUrl}/readyz`).catch(() => undefined);
      child.proc.kill('SIGTERM');
      expect(await Promise.race([child.exited, hung(10_000)])).not.toBe('hung');
    }
  });
});
