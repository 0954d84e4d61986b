import { connectNats, createLogger, ensureAlertStream, ensureWebhookStream, exitOnStartupError, onShutdown, publishWebhook, ServiceTokens, type WebhookMessage } from '@tbot/common';
import { createServer, type Server } from 'node:http';
import { createAlertIntake } from './alert-intake';
import { createApp } from './app';
import { createRpcClients } from './rpc-clients';
import { loadGatewayConfig } from './config';
import { createMetrics } from './metrics';
import { startedPerTurn } from './publish-per-turn';
import { RateLimiters } from './rate-limit';
import { KvCounters, openRateLimitBucket, RateLimitSync } from './rate-limit-sync';
import { createOpsApp } from './routes/ops';

async function main(): Promise<void> {
  const logger = createLogger('gateway', process.env.LOG_LEVEL);
  try {
    const config = loadGatewayConfig();
    logger.level = config.LOG_LEVEL;
    if (!config.STRIPE_WEBHOOK_SECRET?.length) logger.warn('STRIPE_WEBHOOK_SECRET is not set: Stripe webhooks answer 503');
    if (!config.PAYSTACK_SECRET_KEY) logger.warn('PAYSTACK_SECRET_KEY is not set: Paystack webhooks answer 503');
    if (!config.AUTH_JWT_SECRET && !config.AUTH_JWKS_URL) logger.warn('neither AUTH_JWT_SECRET nor AUTH_JWKS_URL is set: signed-in routes answer 503');

    const clients = createRpcClients(
      { billing: config.BILLING_URL, trading: config.TRADING_URL, notifications: config.NOTIFICATIONS_URL },
      config.RPC_TIMEOUT_MS,
      new ServiceTokens('gateway', config.SERVICE_TOKEN_SECRET[0]!),
    );
    const nc = await connectNats(config.NATS_URL, 'gateway', logger, config);
    await ensureWebhookStream(nc, config.WEBHOOK_RETENTION_HOURS);
    const js = nc.jetstream();
    const ingest = { publish: startedPerTurn((m: WebhookMessage) => publishWebhook(js, m, { timeoutMs: config.WEBHOOK_PUBLISH_TIMEOUT_MS })) };
    await ensureAlertStream(nc);
    const alerts = createAlertIntake(nc, js, { publishTimeoutMs: config.WEBHOOK_PUBLISH_TIMEOUT_MS, maxWaiting: config.TRADINGVIEW_MAX_WAITING });
    const metrics = createMetrics();
    const limiters = new RateLimiters();
    const app = createApp(config, clients, ingest, alerts, metrics, logger, limiters);
    // The bucket is opened on the first sync, and again after a failure: a gateway starts
    // (and limits per replica) even when NATS KV is not there yet.
    const rateLimitSync = new RateLimitSync(
      limiters.all(),
      async () => new KvCounters(await openRateLimitBucket(nc, 1000)),
      config.RATE_LIMIT_SYNC_MS,
      logger,
      () => metrics.rateLimitSyncFailures.inc(),
    );
    rateLimitSync.start();
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
      app,
    );
    // Past this many open connections new ones are closed at once: memory stays bounded.
    server.maxConnections = config.HTTP_MAX_CONNECTIONS;
    // Probes and Prometheus only: readiness and metrics are not for the public port.
    const opsServer = createServer({ headersTimeout: 5_000, requestTimeout: 10_000 }, createOpsApp(clients, nc, metrics, logger));
    await listen(server, config.PORT);
    await listen(opsServer, config.OPS_PORT);
    logger.info({ port: config.PORT, ops_port: config.OPS_PORT, billing: config.BILLING_URL, trading: config.TRADING_URL }, 'gateway listening');

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
      // After the public port: the counts of its last requests still reach the other replicas.
      ['rate-limit sync', () => rateLimitSync.stop()],
      [
        'ops server',
        () =>
          new Promise<void>((resolve) => {
            opsServer.close(() => resolve());
            opsServer.closeAllConnections();
          }),
      ],
      ['nats', () => nc.drain()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

/**
 * Connections the kernel may hold for us before they are accepted. Node asks for 511; a
 * candle close brings hundreds of TradingView connections in the same instant, and a SYN
 * dropped from a full queue is only retried after a second (then three), past
 * TradingView's 3 s. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096;

function listen(server: Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, backlog: LISTEN_BACKLOG }, () => resolve());
  });
}

void main();
