import { existsSync } from 'node:fs';
import * as path from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { sendError } from '../http-errors';

/**
 * What the browser may do on a dashboard page: scripts, styles and API calls from this
 * origin only, no inline script or style element, never framed (clickjacking), no plugins,
 * no <base> rewriting. The app is a static build (dashboard/), so nothing inline is needed.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where `npm run build` writes the dashboard: the @tbot/dashboard package's dist/; undefined when that package is absent. */
export function defaultDashboardDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('@tbot/dashboard/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

const ENCODINGS: [token: string, suffix: string][] = [
  ['br', '.br'],
  ['gzip', '.gz'],
];

/** Whether an Accept-Encoding header takes `token` (listed, and not with q=0). */
export function acceptsEncoding(header: string, token: string): boolean {
  return header.split(',').some((part) => {
    const [name, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (name !== token) return false;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * The .br / .gz copy the dashboard's build wrote next to an asset, when the browser takes
 * that encoding; otherwise on to the plain file. Same caching as the plain file.
 */
function precompressed(assetsDir: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const accepted = String(req.headers['accept-encoding'] ?? '');
    const name = path.basename(req.path);
    if (!/^[\w.-]+\.(js|css|svg)$/.test(name) || req.path !== `/${name}`) return next();
    res.setHeader('Vary', 'Accept-Encoding');
    for (const [token, suffix] of ENCODINGS) {
      if (!acceptsEncoding(accepted, token)) continue;
      const file = path.join(assetsDir, name + suffix);
      if (!existsSync(file)) continue;
      res.setHeader('Content-Encoding', token);
      res.type(path.extname(name));
      return res.sendFile(file, { immutable: true, maxAge: '365d', headers: {} });
    }
    return next();
  };
}

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

/**
 * The dashboard at /app (mount this router there): hashed files under /app/assets are
 * cached for a year (a new build has new names), index.html is never used without asking
 * again (so a deploy reaches every browser at once), and every other path under /app is a
 * page of the app: index.html, whose script routes it. A missing asset is a 404, not the
 * page: a stale tab asking for an old chunk must fail visibly, not parse HTML as JS.
 */
export function dashboardRoutes(dir: string | undefined): Router {
  const router = Router();
  router.use((req, res, next) => {
    securityHeaders(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, 405, 'method_not_allowed', 'the dashboard is read with GET');
    }
    return next();
  });
  const index = dir ? path.join(dir, 'index.html') : undefined;
  if (!dir || !index || !existsSync(index)) {
    router.use((_req, res) => sendError(res, 503, 'dashboard_not_built', 'the dashboard is not built: run npm run build (or set DASHBOARD_DIR)'));
    return router;
  }
  router.use(
    '/assets',
    precompressed(path.join(dir, 'assets')),
    express.static(path.join(dir, 'assets'), { index: false, redirect: false, immutable: true, maxAge: '365d', fallthrough: true }),
    (_req, res) => sendError(res, 404, 'not_found', 'no such asset'),
  );
  // Unhashed files next to index.html (the icon): cached briefly.
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      maxAge: '1h',
      setHeaders: (res, file) => {
        if (path.basename(file) === 'index.html') res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );
  router.use((_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index, { cacheControl: false });
  });
  return router;
}
