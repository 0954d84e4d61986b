import {
  ALLOWED_CALLERS,
  BillingService,
  connectMongo,
  connectNats,
  ConsumerMetrics,
  createLogger,
  createRegistry,
  createRpcMetrics,
  ensureStream,
  ensureWebhookStream,
  every,
  exitOnStartupError,
  Health,
  instrumentMongo,
  isNatsConnected,
  onShutdown,
  pingMongo,
  Outbox,
  registerHealth,
  registerReflection,
  requireServiceToken,
  startMetricsServer,
  startRpcServer,
} from '@tbot/common';
import { WebhookInbox } from './webhooks/inbox';
import { billingService } from './billing-service';
import { loadBillingConfig } from './config';
import { EventLedger } from './ledger';
import { UserStates } from './user-state';
import { backfillClaims, createModels, pruneExpired } from './models';
import { PaystackEventApplier } from './paystack/apply-event';
import { PaystackClient } from './paystack/client';
import { PlanCatalog } from './plans';
import { StripeEventApplier } from './stripe/apply-event';
import { createStripeClient } from './stripe/client';
import { Subscriptions } from './subscriptions';
import { WebhookConsumer } from './webhooks/consumer';
import { DeadLetters } from './webhooks/dead-letters';
import { BacklogGauge } from './webhooks/backlog';
import { createWebhookMetrics } from './webhooks/metrics';
import { Reconciler } from './webhooks/reconcile';
import { WebhookReplay } from './webhooks/replay';

const BILLING_STREAM = 'BILLING';
const BILLING_SUBJECTS = ['billing.>'];

async function main(): Promise<void> {
  const logger = createLogger('billing', process.env.LOG_LEVEL);
  try {
    const config = loadBillingConfig();
    logger.level = config.LOG_LEVEL;
    const plans = PlanCatalog.fromFile(config.PLANS_FILE);

    const mongo = await connectMongo(config.MONGODB_URI, logger);
    const models = await createModels(mongo, logger);
    await backfillClaims(mongo, models, logger);
    const nc = await connectNats(config.NATS_URL, 'billing', logger, config);
    await ensureStream(nc, BILLING_STREAM, BILLING_SUBJECTS);
    await ensureWebhookStream(nc, config.WEBHOOK_RETENTION_HOURS);
    const outbox = new Outbox(mongo, 'billing_outbox', nc.jetstream(), logger);
    await outbox.init();
    outbox.start(config.OUTBOX_RELAY_INTERVAL_MS, 'billing outbox relay');

    const registry = createRegistry();
    instrumentMongo(mongo, registry);
    const metrics = createWebhookMetrics(registry);
    const consumerMetrics = new ConsumerMetrics(registry);
    const replay = new WebhookReplay(models, nc, nc.jetstream(), logger, config.WEBHOOK_PUBLISH_TIMEOUT_MS);
    // A new user link may identify parked unmatched events: put them back on the stream.
    const subs = new Subscriptions(models, plans, new UserStates(models, logger), undefined, (keys) => {
      replay.retryParked(keys).catch((err: unknown) => logger.warn({ err }, 'could not re-try unmatched events'));
    });
    const ledger = new EventLedger(models, outbox, logger, {
      retentionDays: config.LEDGER_RETENTION_DAYS,
      concurrency: config.WEBHOOK_APPLY_CONCURRENCY,
      begin: () => subs.states.begin(),
    });
    const paystack = config.PAYSTACK_SECRET_KEY
      ? new PaystackClient(config.PAYSTACK_SECRET_KEY, config.PAYSTACK_API_BASE, config.PROVIDER_TIMEOUT_MS)
      : undefined;
    const stripe = config.STRIPE_SECRET_KEY
      ? createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE, config.PROVIDER_TIMEOUT_MS)
      : undefined;
    if (!stripe) logger.warn('STRIPE_SECRET_KEY is not set: Stripe checkout is unavailable');
    if (!paystack) logger.warn('PAYSTACK_SECRET_KEY is not set: Paystack payments are unavailable');

    const stripeEvents = new StripeEventApplier(models, plans, subs, ledger, logger);
    const paystackEvents = new PaystackEventApplier(models, plans, subs, ledger, paystack, logger);
    const reconciler = new Reconciler(models, nc.jetstream(), stripe, paystack, logger, {
      paystackAfterMs: config.PAYSTACK_RECONCILE_MINUTES * 60_000,
      publishTimeoutMs: config.WEBHOOK_PUBLISH_TIMEOUT_MS,
    });
    reconciler.start(config.RECONCILE_INTERVAL_MINUTES * 60_000);
    const inbox = new WebhookInbox(models, nc);
    const impl = billingService({ models, plans, subs, stripe, paystack, logger, stripeEvents, paystackEvents, replay, reconciler, inbox });
    const consumer = new WebhookConsumer(
      nc,
      ledger,
      { item: (provider, payload, opts) => (provider === 'stripe' ? stripeEvents : paystackEvents).item(payload, opts) },
      new DeadLetters(models, nc, logger),
      metrics,
      logger,
      {
        batchSize: config.WEBHOOK_BATCH_SIZE,
        ackWaitMs: config.WEBHOOK_ACK_WAIT_MS,
        maxDeliver: config.WEBHOOK_MAX_DELIVER,
        unmatchedRetryMs: config.UNMATCHED_RETRY_MINUTES * 60_000,
        consumerMetrics,
      },
    );
    await consumer.start();
    const prune = models.ledgerExpiresByItself
      ? undefined
      : every(3_600_000, 'ledger prune', logger, async () => {
          const entries = await pruneExpired(models.Ledger);
          const claims = await pruneExpired(models.Claim);
          if (entries + claims > 0) logger.info({ entries, claims }, 'expired ledger entries and claims pruned');
        });
    const backlog = new BacklogGauge(nc, metrics, consumerMetrics, logger);
    backlog.start(5000);
    const metricsServer = await startMetricsServer(config.METRICS_PORT, registry, logger);
    const dependencies = {
      mongodb: () => pingMongo(mongo),
      nats: async () => isNatsConnected(nc),
    };
    const server = await startRpcServer({
      port: config.BILLING_PORT,
      host: config.RPC_HOST,
      logger,
      metrics: createRpcMetrics(registry),
      interceptors: [requireServiceToken({ service: 'billing', allowedCallers: ALLOWED_CALLERS.billing, secrets: config.SERVICE_TOKEN_SECRET })],
      routes: (router) => {
        router.service(BillingService, impl);
        registerHealth(router, [BillingService.typeName], dependencies);
        // grpcurl and `buf curl --reflect` without .proto files (behind the service token).
        registerReflection(router, [BillingService, Health]);
      },
    });

    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      ['rpc server', () => server.close(config.SHUTDOWN_TIMEOUT_MS)],
      ['webhook consumer', () => consumer.stop()],
      ['reconciliation', () => reconciler.stop()],
      ['backlog gauge', () => backlog.stop()],
      ['ledger prune', async () => prune?.stop()],
      ['outbox', () => outbox.stop()],
      ['metrics server', () => metricsServer.close()],
      ['nats', () => nc.drain()],
      ['mongodb', () => mongo.close()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

void main();
