import type { Logger } from '@tbot/common';
import type { IncomingMessage, RequestListener } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import proxyaddr from 'proxy-addr';
import type { RpcClients } from './rpc-clients';
import { trustProxySetting, type GatewayConfig } from './config';
import { sendError } from './http-errors';
import type { Metrics } from './metrics';
import { userTokenVerifier } from './auth';
import { rateLimit, type RateLimiters } from './rate-limit';
import { dashboardRoutes, defaultDashboardDir } from './routes/dashboard';
import { notificationRoutes } from './routes/notifications';
import { healthRoutes } from './routes/ops';
import { paystackRoutes, paystackWebhook } from './routes/paystack';
import { stripeRoutes, stripeWebhook } from './routes/stripe';
import { tradingViewRoutes } from './routes/tradingview';
import type { Ingest, WebhookRoute } from './routes/webhook';
import type { AlertIntake } from './alert-intake';
import { allApiRoutes, apiRouter } from './api';

/**
 * The gateway's request listener: provider webhooks on node:http directly (the hot path,
 * see routes/webhook.ts), everything else through Express.
 */
export function createApp(
  config: GatewayConfig,
  clients: RpcClients,
  ingest: Ingest,
  alerts: AlertIntake,
  metrics: Metrics,
  logger: Logger,
  limiters: RateLimiters,
): RequestListener {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));

  // Shared by every /api route and the provider webhooks. Its check is in memory (counts
  // reach the other replicas in the background, rate-limit-sync.ts): webhook intake never
  // waits on NATS for it.
  const perIp = limiters.create('ip', config.IP_RATE_LIMIT_PER_MINUTE);
  // The same client address as Express's req.ip: its compiled trust function, and the
  // module Express itself uses.
  const trusted = app.get('trust proxy fn') as (addr: string, i: number) => boolean;
  const limits = { maxBytes: config.WEBHOOK_MAX_BYTES, perIp, clientIp: (req: IncomingMessage) => proxyaddr(req, trusted) };
  const webhooks = new Map<string, WebhookRoute>([
    ['/api/payments/stripe/webhook', stripeWebhook(config, ingest, metrics, logger, limits)],
    ['/api/payments/paystack/webhook', paystackWebhook(config, ingest, metrics, logger, limits)],
  ]);

  // /readyz and /metrics are on the ops port only (routes/ops.ts): 404 here.
  app.use(healthRoutes());
  // One for both signed-in route groups: it caches the identity provider's keys.
  const verifyUser = userTokenVerifier(config);
  app.use('/api', rateLimit(perIp, (req) => req.ip));
  app.use('/api/payments/stripe', stripeRoutes(config, clients, metrics, logger, limiters, verifyUser));
  app.use('/api/payments/paystack', paystackRoutes(config, clients, metrics, logger, limiters, verifyUser));
  app.use('/api/tradingview', tradingViewRoutes(config, alerts, metrics, logger, limiters));
  app.use('/api/notifications', notificationRoutes(clients, logger));
  app.use(
    '/api/v1',
    apiRouter(allApiRoutes({ config, clients, logger, limiters }), {
      verifyUser,
      logger,
      info: { title: 'Trading bot API', version: '1', basePath: '/api/v1', description: 'The trader\u2019s and the operator\u2019s API. Send `Authorization: Bearer <token>`.' },
    }),
  );

  // The trader's dashboard (a static build); its API calls go to /api/v1 on this same origin.
  app.use('/app', dashboardRoutes(config.DASHBOARD_DIR ?? defaultDashboardDir()));

  app.use((_req: Request, res: Response) => sendError(res, 404, 'not_found', 'no such route'));
  // Body parser failures and anything unforeseen: a clear 4xx for bad input, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return sendError(res, 413, 'payload_too_large', 'the body is too large');
    if (err.type === 'encoding.unsupported') return sendError(res, 415, 'unsupported_encoding', 'compressed bodies are not accepted');
    if (err.type === 'entity.parse.failed') return sendError(res, 400, 'malformed_payload', 'the body is not valid JSON');
    if (err.status && err.status >= 400 && err.status < 500) return sendError(res, err.status, 'bad_request', err.message);
    logger.error({ err, path: req.path }, 'unhandled error');
    return sendError(res, 500, 'internal_error', 'internal error');
  });
  return (req, res) => {
    const route = req.method === 'POST' ? webhooks.get(routeKey(req.url)) : undefined;
    if (route) route(req, res);
    else app(req, res);
  };
}

/** The path as Express would match it: case-insensitive, one trailing slash allowed, no query. */
function routeKey(url: string | undefined): string {
  const path = (url ?? '').split('?')[0]!.toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
