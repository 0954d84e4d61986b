import {
  BillingService,
  connectMongo,
  connectNats,
  createLogger,
  ensureStream,
  exitOnStartupError,
  isNatsConnected,
  onShutdown,
  pingMongo,
  registerHealth,
  startRpcServer,
} from '@tbot/common';
import { billingService } from './billing-service';
import { loadBillingConfig } from './config';
import { EventLedger } from './ledger';
import { createModels } from './models';
import { BILLING_STREAM, BILLING_SUBJECTS, Outbox } from './outbox';
import { PaystackEventApplier } from './paystack/apply-event';
import { PaystackClient } from './paystack/client';
import { PlanCatalog } from './plans';
import { StripeEventApplier } from './stripe/apply-event';
import { createStripeClient } from './stripe/client';
import { Subscriptions } from './subscriptions';

async function main(): Promise<void> {
  const logger = createLogger('billing', process.env.LOG_LEVEL);
  try {
    const config = loadBillingConfig();
    logger.level = config.LOG_LEVEL;
    const plans = PlanCatalog.fromFile(config.PLANS_FILE);

    const mongo = await connectMongo(config.MONGODB_URI, logger);
    const models = await createModels(mongo);
    const nc = await connectNats(config.NATS_URL, 'billing', logger);
    await ensureStream(nc, BILLING_STREAM, BILLING_SUBJECTS);
    const outbox = new Outbox(models, nc.jetstream(), logger);
    outbox.start(config.OUTBOX_RELAY_INTERVAL_MS);

    const subs = new Subscriptions(models, plans);
    const ledger = new EventLedger(models, logger, outbox.publishNow);
    const paystack = config.PAYSTACK_SECRET_KEY
      ? new PaystackClient(config.PAYSTACK_SECRET_KEY, config.PAYSTACK_API_BASE, config.PROVIDER_TIMEOUT_MS)
      : undefined;
    const stripe = config.STRIPE_SECRET_KEY
      ? createStripeClient(config.STRIPE_SECRET_KEY, config.STRIPE_API_BASE, config.PROVIDER_TIMEOUT_MS)
      : undefined;
    if (!stripe) logger.warn('STRIPE_SECRET_KEY is not set: Stripe checkout is unavailable');
    if (!paystack) logger.warn('PAYSTACK_SECRET_KEY is not set: Paystack payments are unavailable');

    const impl = billingService({
      models,
      plans,
      subs,
      stripe,
      paystack,
      logger,
      stripeEvents: new StripeEventApplier(models, plans, subs, ledger, logger),
      paystackEvents: new PaystackEventApplier(models, plans, subs, ledger, paystack, logger),
    });
    const dependencies = {
      mongodb: () => pingMongo(mongo),
      nats: async () => isNatsConnected(nc),
    };
    const server = await startRpcServer({
      port: config.BILLING_PORT,
      logger,
      routes: (router) => {
        router.service(BillingService, impl);
        registerHealth(router, [BillingService.typeName], dependencies);
      },
    });

    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      ['rpc server', () => server.close(config.SHUTDOWN_TIMEOUT_MS)],
      ['outbox', () => outbox.stop()],
      ['nats', () => nc.drain()],
      ['mongodb', () => mongo.close()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

void main();
