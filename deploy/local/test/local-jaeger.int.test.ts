import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { canConnect, findTool, freePort, startLocalTracing } from '../src';

// npm start's Jaeger when the tools cache has none yet: the stack must not wait for the
// build, and Jaeger must join on the endpoint the services were given from the start.
// The build is stood in for by an install-tools.sh that copies the cached binary after a
// pause (a real cold build takes minutes).

describe("npm start's Jaeger (local-jaeger.ts)", () => {
  const realJaeger = findTool('jaeger', process.env.JAEGER_BIN);
  const root = mkdtempSync(path.join(tmpdir(), 'tbot-jaeger-'));
  const toolsBin = path.join(root, 'bin');

  beforeAll(() => {
    if (!realJaeger) throw new Error('Jaeger is not built: `npm run tools -- jaeger` builds it into the tools cache');
    mkdirSync(toolsBin);
    mkdirSync(path.join(root, 'scripts'));
    const script = path.join(root, 'scripts', 'install-tools.sh');
    writeFileSync(script, `echo "tools: building jaeger (stand-in)"\nsleep 2\ncp "${realJaeger}" "$TOOLS_BIN/jaeger"\n`);
    chmodSync(script, 0o755);
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('starts at once while Jaeger builds, then Jaeger listens on the endpoint the services were given; stop() ends it', async () => {
    const lines: string[] = [];
    const startedAt = Date.now();
    // No OTEL_EXPORTER_OTLP_ENDPOINT, an empty tools cache.
    const ports = { otlpGrpc: await freePort(), otlpHttp: await freePort(), queryGrpc: await freePort(), queryHttp: await freePort() };
    const tracing = await startLocalTracing({ repoRoot: root, toolsBin, env: {}, ports, sink: (name, line) => lines.push(`${name} | ${line}`) });
    if (tracing.kind === 'external') throw new Error('expected a local Jaeger');
    try {
      expect(Date.now() - startedAt).toBeLessThan(1500);
      expect(tracing.kind).toBe('building');
      expect(lines.join('\n')).toMatch(/jaeger-build \| Jaeger is not in the tools cache: building it in the background/);
      expect(await fetch(`${tracing.queryUrl}/api/services`).catch(() => undefined)).toBeUndefined();

      await until(() => lines.some((l) => l.includes('built and started')), 30_000);
      expect(lines).toContain('jaeger-build | tools: building jaeger (stand-in)');
      const otlp = await fetch(`${tracing.otlpEndpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
      expect(otlp.status).toBe(200);
      expect((await fetch(`${tracing.queryUrl}/api/services`)).status).toBe(200);
    } finally {
      await tracing.stop();
    }
    const port = Number(new URL(tracing.queryUrl).port);
    expect(await canConnect('127.0.0.1', port)).toBe(false);
  }, 60_000);

  it('runs no Jaeger when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
    const tracing = await startLocalTracing({ repoRoot: root, toolsBin, env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example:4318' }, sink: () => undefined });
    expect(tracing).toMatchObject({ kind: 'external', otlpEndpoint: 'http://collector.example:4318' });
    await tracing.stop();
  });
});

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
