import { connectNats, createLogger, ensureWebhookStream, exitOnStartupError, onShutdown, ServiceTokens } from '@tbot/common';
import { createServer } from 'node:http';
import { createApp } from './app';
import { createRpcClients } from './rpc-clients';
import { loadGatewayConfig } from './config';
import { createMetrics } from './metrics';

async function main(): Promise<void> {
  const logger = createLogger('gateway', process.env.LOG_LEVEL);
  try {
    const config = loadGatewayConfig();
    logger.level = config.LOG_LEVEL;
    if (!config.STRIPE_WEBHOOK_SECRET?.length) logger.warn('STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks answer 503');
    if (!config.PAYSTACK_SECRET_KEY) logger.warn('PAYSTACK_SECRET_KEY is not set: Paystack webhooks answer 503');
    if (!config.AUTH_JWT_SECRET) logger.warn('AUTH_JWT_SECRET is not set: signed-in routes answer 503');

    const clients = createRpcClients(
      { billing: config.BILLING_URL, trading: config.TRADING_URL },
      config.RPC_TIMEOUT_MS,
      new ServiceTokens('gateway', config.SERVICE_TOKEN_SECRET[0]!),
    );
    const nc = await connectNats(config.NATS_URL, 'gateway', logger, config);
    await ensureWebhookStream(nc, config.WEBHOOK_RETENTION_HOURS);
    const ingest = { js: nc.jetstream(), publishTimeoutMs: config.WEBHOOK_PUBLISH_TIMEOUT_MS };
    const server = createServer(
      {
        // A client that sends its headers slowly (slowloris) is cut after HTTP_HEADERS_TIMEOUT_MS;
        // the timeouts are checked every second rather than every 30 s.
        headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
        requestTimeout: 30_000,
        connectionsCheckingInterval: 1000,
        // Providers keep connections open; shorter than a load balancer's idle timeout is wrong.
        keepAliveTimeout: 65_000,
      },
      createApp(config, clients, ingest, nc, createMetrics(), logger),
    );
    // Past this many open connections new ones are closed at once: memory stays bounded.
    server.maxConnections = config.HTTP_MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, () => resolve());
    });
    logger.info({ port: config.PORT, billing: config.BILLING_URL, trading: config.TRADING_URL }, 'gateway listening');

    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      [
        'http server',
        () =>
          new Promise<void>((resolve) => {
            // Stop accepting; idle keep-alive connections close now, busy ones after their response.
            server.close(() => resolve());
            server.closeIdleConnections();
          }),
      ],
      ['nats', () => nc.drain()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

void main();
