import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// A service whose supervisor died has no one reading its stdout any more: SIGTERM must
// still stop it (logging to the broken pipe must not keep it alive or crash it first).

describe('shutdown without a reader on stdout', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it.each(['gateway', 'billing', 'trading'])('%s exits on SIGTERM after its stdout and stderr pipes were closed', async (name) => {
    const child = h.stack.children.get(name)!;
    const exited = new Promise<number | null>((resolve) => child.proc.once('exit', (code) => resolve(code)));
    child.proc.stdout?.destroy();
    child.proc.stderr?.destroy();
    // Give it something to log into the broken pipe before the signal.
    await fetch(`${h.stack.gatewayOpsUrl}/readyz`).catch(() => undefined);
    child.proc.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(code).not.toBe('hung');
  });
});
