import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { canConnect, findTool, freePort, REPO_ROOT, spawnChild, waitFor } from '../src';

// What `npm start` runs after building: the whole system with embedded defaults (no
// MONGODB_URI, so it starts FerretDB itself), ready on /readyz (its ops port), and one SIGINT (Ctrl-C)
// stops every process it started.

describe('npm start (deploy/local/dist/main.js)', () => {
  it('brings up FerretDB, Jaeger, billing, trading, notifications and the gateway, prints a dashboard sign-in link, and stops them all on Ctrl-C', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tbot-start-'));
    const port = await freePort();
    const opsPort = await freePort();
    const lines: string[] = [];
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), OPS_PORT: String(opsPort), LOCAL_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    delete env.MONGODB_URI;
    delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const main = spawnChild('start', process.execPath, [path.join(REPO_ROOT, 'deploy', 'local', 'dist', 'main.js')], {
      env,
      sink: (_name, line) => lines.push(line),
    });
    try {
      await waitFor('"ready" from npm start', async () => lines.some((l) => l.startsWith('ready:')), 90_000, 200).catch((err: Error) => {
        // What it printed says why (a port in use, a service that exited).
        throw new Error(`${err.message}\nlast lines of npm start:\n${lines.slice(-40).join('\n')}`);
      });
      const ready = lines.find((l) => l.startsWith('ready:'))!;
      const mongoPort = Number(/mongodb:\/\/127\.0\.0\.1:(\d+)/.exec(ready)?.[1]);
      expect(mongoPort).toBeGreaterThan(0);
      // Jaeger from the tools cache (`npm test` builds it first), its URL printed.
      const traces = lines.find((l) => l.startsWith('traces:')) ?? '';
      const jaegerUrl = /^traces: Jaeger (http:\/\/127\.0\.0\.1:\d+)/.exec(traces)?.[1];
      if (findTool('jaeger', process.env.JAEGER_BIN)) {
        expect(jaegerUrl).toBeDefined();
        expect((await fetch(`${jaegerUrl}/api/services`)).status).toBe(200);
      } else {
        expect(traces).toMatch(/^traces: Jaeger is being built/);
      }
      const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ready', checks: { billing: 'serving', mongodb: 'serving', nats: 'serving', trading: 'serving' } });

      // Not production: a demo user and a sign-in link to the dashboard, its token in the fragment.
      const link = /^dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/app\/#token=([\w-]+\.[\w-]+\.[\w-]+))$/.exec(lines.find((l) => l.startsWith('dashboard:')) ?? '');
      expect(link).not.toBeNull();
      expect(Number(link![2])).toBe(port);
      const token = link![3]!;
      const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; exp: number; iat: number; roles: string[] };
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(2 * 3600);
      expect(claims.roles).toEqual(['operator']);
      const page = await fetch(link![1]!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const auth = { authorization: `Bearer ${token}` };
      const me = await fetch(`http://127.0.0.1:${port}/api/v1/me`, { headers: auth });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ userId: claims.sub, operator: true, subscription: { plan: 'pro', status: 'active' } });
      // Its example alerts went through the gateway (without OKX here, paper orders may fail;
      // they are signals all the same).
      const signals = (await (await fetch(`http://127.0.0.1:${port}/api/v1/signals`, { headers: auth })).json()) as { signals: { symbol: string }[] };
      expect(signals.signals.map((s) => s.symbol).sort()).toEqual(['BTCUSDT', 'BTCUSDT', 'ETHUSDT', 'ETHUSDT.P']);

      main.proc.kill('SIGINT');
      expect(await main.exited).toBe(0);
      expect(await canConnect('127.0.0.1', port)).toBe(false);
      expect(await canConnect('127.0.0.1', opsPort)).toBe(false);
      expect(await canConnect('127.0.0.1', mongoPort)).toBe(false);
      if (jaegerUrl) expect(await canConnect('127.0.0.1', Number(new URL(jaegerUrl).port))).toBe(false);
      // Each service shut down gracefully rather than being killed.
      expect(lines.filter((l) => l.includes('"msg":"stopped"')).length).toBe(4);
    } finally {
      await main.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Start-up waits up to 90 s on a busy machine; the test may take that long.
  }, 120_000);
});
