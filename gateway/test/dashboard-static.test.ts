import express from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { acceptsEncoding, DASHBOARD_CSP, dashboardRoutes, defaultDashboardDir } from '../src/routes/dashboard';

// The /app static route on a bare Express app (as app.ts mounts it), over a build folder made here.
describe('dashboard static route (/app)', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tbot-dash-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title><script type="module" src="/app/assets/index-abc123.js"></script>');
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    // What dashboard/scripts/compress.mjs writes next to each asset.
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js.br'), brotliCompressSync('console.log(1)'));
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js.gz'), gzipSync('console.log(1)'));
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const app = express();
    app.use('/app', dashboardRoutes(dir));
    app.use((_req, res) => res.status(404).json({ error: 'not_found' }));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const expectSecurityHeaders = (res: Response) => {
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  };

  it('serves hashed assets for a year, immutable, with their type', async () => {
    const res = await fetch(`${base}/app/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(await res.text()).toBe('console.log(1)');
    expectSecurityHeaders(res);
  });

  it('sends the precompressed copy the browser takes, with the same caching', async () => {
    for (const [accept, encoding] of [
      ['gzip, deflate, br, zstd', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['identity', null],
    ] as const) {
      const res = await fetch(`${base}/app/assets/index-abc123.js`, { headers: { 'accept-encoding': accept } });
      expect({ accept, status: res.status, encoding: res.headers.get('content-encoding') }).toEqual({ accept, status: 200, encoding });
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
      // fetch decodes the body as a browser does.
      expect(await res.text()).toBe('console.log(1)');
    }
    expect(acceptsEncoding('gzip;q=0', 'gzip')).toBe(false);
    expect(acceptsEncoding('GZIP', 'gzip')).toBe(true);
    expect(acceptsEncoding('xgzip', 'gzip')).toBe(false);
  });

  it('answers index.html, not cached, for /app, /app/ and every deep link', async () => {
    for (const p of ['/app', '/app/', '/app/signals', '/app/signals/sig_1', '/app/settings?x=1', '/app/index.html']) {
      const res = await fetch(base + p);
      expect({ p, status: res.status }).toEqual({ p, status: 200 });
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('/app/assets/index-abc123.js');
      expectSecurityHeaders(res);
    }
  });

  it('the policy forbids inline scripts, other origins and framing', () => {
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(DASHBOARD_CSP).toContain("connect-src 'self'");
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
  });

  it('a missing asset is a 404, never the page', async () => {
    const res = await fetch(`${base}/app/assets/index-old999.js`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'not_found' });
  });

  it('unhashed files are cached briefly; other paths are not the dashboard', async () => {
    const icon = await fetch(`${base}/app/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=3600');
    expect((await fetch(`${base}/apple`)).status).toBe(404);
    expect((await fetch(`${base}/app/../gateway`)).status).toBe(404);
  });

  it('refuses writes with 405', async () => {
    const res = await fetch(`${base}/app/`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ error: 'method_not_allowed' });
  });

  it('says the dashboard is not built (503) when the folder has no index.html', async () => {
    const app = express();
    app.use('/app', dashboardRoutes(path.join(dir, 'nowhere')));
    const s = createServer(app);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/app/`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: 'dashboard_not_built' });
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('finds the build of the @tbot/dashboard workspace by default', () => {
    expect(defaultDashboardDir()).toBe(path.resolve(__dirname, '..', '..', 'dashboard', 'dist'));
  });
});
