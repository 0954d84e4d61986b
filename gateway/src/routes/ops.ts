import { HealthCheckResponse_ServingStatus as ServingStatus, isNatsConnected, type Logger } from '@tbot/common';
import type { NatsConnection } from 'nats';
import { Router } from 'express';
import type { RpcClients } from '../rpc-clients';
import type { Metrics } from '../metrics';

/** Liveness, readiness and Prometheus metrics. */
export function opsRoutes(clients: RpcClients, nc: NatsConnection, metrics: Metrics, logger: Logger): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
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
  router.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
