import { HealthCheckResponse_ServingStatus as ServingStatus, isNatsConnected, type Logger } from '@tbot/common';
import type { NatsConnection } from 'nats';
import express, { Router, type Request, type Response } from 'express';
import type { RpcClients } from '../rpc-clients';
import { sendError } from '../http-errors';
import type { Metrics } from '../metrics';

/** Liveness: the process and its event loop answer. On both ports (it reveals nothing). */
export function healthRoutes(): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return router;
}

/**
 * The ops port's listener: liveness, readiness and Prometheus metrics. Kept off the public
 * port because readiness names our dependencies and their state, metrics show traffic by
 * provider and outcome, and /readyz makes two internal calls per request (a cheap way to
 * load billing and trading from outside). Only probes and Prometheus reach this port.
 */
export function createOpsApp(clients: RpcClients, nc: NatsConnection, metrics: Metrics, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes());
  app.get('/readyz', async (_req, res) => {
    // Each service answers for itself; billing also for the MongoDB and NATS it uses.
    const ask = async (client: RpcClients['billingHealth'], service: string) => {
      try {
        const r = await client.check({ service }, { timeoutMs: 2000 });
        return ServingStatus[r.status]?.toLowerCase() ?? 'unknown';
      } catch (err) {
        logger.debug({ err, service }, 'health check failed');
        return 'unreachable';
      }
    };
    const [billing, mongodb, trading] = await Promise.all([
      ask(clients.billingHealth, ''),
      ask(clients.billingHealth, 'mongodb'),
      ask(clients.tradingHealth, ''),
    ]);
    const nats = isNatsConnected(nc) ? 'serving' : 'not_serving';
    // Webhook intake needs only JetStream: billing applies stored events whenever it is
    // back. The other checks say what else works (checkout, TradingView alerts).
    const ready = nats === 'serving';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { nats, billing, mongodb, trading } });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  app.use((_req: Request, res: Response) => sendError(res, 404, 'not_found', 'no such route'));
  return app;
}
