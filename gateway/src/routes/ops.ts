import { HealthCheckResponse_ServingStatus as ServingStatus, type Logger } from '@tbot/common';
import { Router } from 'express';
import type { BillingClients } from '../billing-client';
import type { Metrics } from '../metrics';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(clients: BillingClients, metrics: Metrics, logger: Logger): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    // Billing answers for itself and for the MongoDB and NATS it depends on.
    const ask = async (service: string) => {
      try {
        const r = await clients.health.check({ service }, { timeoutMs: 2000 });
        return ServingStatus[r.status]?.toLowerCase() ?? 'unknown';
      } catch (err) {
        logger.debug({ err, service }, 'health check failed');
        return 'unreachable';
      }
    };
    const [billing, mongodb, nats] = await Promise.all([ask(''), ask('mongodb'), ask('nats')]);
    const ready = billing === 'serving';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { billing, mongodb, nats } });
  });
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
