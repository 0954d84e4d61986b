import type { Logger } from '@tbot/common';
import type { NatsConnection } from 'nats';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { RpcClients } from './rpc-clients';
import { trustProxySetting, type GatewayConfig } from './config';
import { sendError } from './http-errors';
import type { Metrics } from './metrics';
import { rateLimit, RateLimiter } from './rate-limit';
import { opsRoutes } from './routes/ops';
import { paystackRoutes } from './routes/paystack';
import { stripeRoutes } from './routes/stripe';
import { tradingViewRoutes } from './routes/tradingview';
import type { Ingest } from './routes/webhook';

export function createApp(config: GatewayConfig, clients: RpcClients, ingest: Ingest, nc: NatsConnection, metrics: Metrics, logger: Logger) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxySetting(config.TRUST_PROXY));

  app.use(opsRoutes(clients, nc, metrics, logger));

  const perIp = new RateLimiter(config.IP_RATE_LIMIT_PER_MINUTE);
  app.use('/api', rateLimit(perIp, (req) => req.ip));
  app.use('/api/payments/stripe', stripeRoutes(config, clients, ingest, metrics, logger));
  app.use('/api/payments/paystack', paystackRoutes(config, clients, ingest, metrics, logger));
  app.use('/api/tradingview', tradingViewRoutes(config, clients, metrics, logger));

  app.use((_req: Request, res: Response) => sendError(res, 404, 'not_found', 'no such route'));
  // Body parser failures and anything unforeseen: a clear 4xx for bad input, never a stack trace.
  app.use((err: Error & { status?: number; type?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.too.large') return sendError(res, 413, 'payload_too_large', 'the body is too large');
    if (err.type === 'entity.parse.failed') return sendError(res, 400, 'malformed_payload', 'the body is not valid JSON');
    if (err.status && err.status >= 400 && err.status < 500) return sendError(res, err.status, 'bad_request', err.message);
    logger.error({ err, path: req.path }, 'unhandled error');
    return sendError(res, 500, 'internal_error', 'internal error');
  });
  return app;
}
