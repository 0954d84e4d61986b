import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  ALLOWED_CALLERS,
  BillingService,
  clientTracingInterceptor,
  connectMongo,
  connectNats,
  ConsumerMetrics,
  createLogger,
  createRegistry,
  createRpcMetrics,
  ensureAlertStream,
  ensureStream,
  exitOnStartupError,
  Health,
  instrumentMongo,
  isNatsConnected,
  ALERT_CONSUMER,
  ALERT_STREAM,
  onShutdown,
  pingMongo,
  registerHealth,
  registerReflection,
  requireServiceToken,
  serviceTokenInterceptor,
  ServiceTokens,
  startMetricsServer,
  startRpcServer,
  TradingService,
} from '@tbot/common';
import { Accounts } from './accounts';
import { AlertConsumer } from './alert-consumer';
import { loadTradingConfig } from './config';
import { parseMasterKeys } from './credentials-crypto';
import { EntitlementChecker } from './entitlement';
import { TRADING_STREAM, TRADING_SUBJECTS, TradingEvents } from './events';
import { MarketCatalog } from './exchange/markets';
import { KeysRejectedNotices } from './keys-rejected';
import { ExchangeConnection } from './exchange-connection';
import { LimitNotices } from './limit-notices';
import { createTradingMetrics } from './metrics';
import { createTradingModels } from './models';
import { OrderFollowUp } from './order-follow-up';
import { OrderPlacement } from './order-placement';
import { PaperTriggerWatcher } from './paper-triggers';
import { PositionReconciler } from './position-reconciler';
import { ExchangeSnapshots } from './exchange-snapshots';
import { SignalExecution } from './signal-execution';
import { SignalIntake } from './signal-intake';
import { Strategies } from './strategies';
import { tradingService } from './trading-service';
import { UserLocks } from './user-lock';
import { UserTurns } from './user-turns';
import { WebhookAuth } from './webhook-auth';

async function main(): Promise<void> {
  const logger = createLogger('trading', process.env.LOG_LEVEL);
  try {
    const config = loadTradingConfig();
    logger.level = config.LOG_LEVEL;
    const ring = parseMasterKeys(config.EXCHANGE_KEYS_MASTER_KEY);

    const mongo = await connectMongo(config.MONGODB_URI, logger);
    const models = await createTradingModels(mongo);
    const registry = createRegistry();
    instrumentMongo(mongo, registry);
    const metrics = createTradingMetrics(registry);
    metrics.openPositions(async () => {
      const rows = await models.Position.aggregate<{ _id: string; n: number }>([
        { $match: { amount: { $ne: 0 } } },
        { $group: { _id: '$mode', n: { $sum: 1 } } },
      ]);
      return rows.map((r) => ({ mode: r._id, count: r.n }));
    });
    const consumerMetrics = new ConsumerMetrics(registry);
    const nc = await connectNats(config.NATS_URL, 'trading', logger, config);
    await ensureStream(nc, TRADING_STREAM, TRADING_SUBJECTS);
    await ensureAlertStream(nc);

    const tokens = new ServiceTokens('trading', config.SERVICE_TOKEN_SECRET[0]!);
    const billing = createClient(
      BillingService,
      createGrpcTransport({
        baseUrl: config.BILLING_URL,
        defaultTimeoutMs: config.RPC_TIMEOUT_MS,
        interceptors: [clientTracingInterceptor, serviceTokenInterceptor(tokens, 'billing')],
      }),
    );
    const events = new TradingEvents(mongo, nc.jetstream(), logger);
    await events.init();
    events.start(config.OUTBOX_RELAY_INTERVAL_MS);
    const entitlement = new EntitlementChecker(billing, config.ENTITLEMENT_CACHE_SECONDS * 1000, logger);
    entitlement.listen(nc);
    const markets = new MarketCatalog(config.OKX_API_BASE, config.EXCHANGE_TIMEOUT_MS, logger);
    // Loaded in the background: an OKX outage must not keep the service from starting.
    markets.ensureLoaded().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'OKX markets not loaded yet; retrying on first signal'));
    const keysRejected = new KeysRejectedNotices({ models, events, logger });
    const accounts = new Accounts(models, ring, markets, {
      apiBase: config.OKX_API_BASE,
      timeoutMs: config.EXCHANGE_TIMEOUT_MS,
      paperStartingBalance: config.PAPER_STARTING_BALANCE,
    }, logger, keysRejected, metrics);
    const connection = new ExchangeConnection({ models, accounts, keysRejected, logger });
    const auth = new WebhookAuth({ models, ring, overlapSeconds: config.WEBHOOK_SECRET_OVERLAP_SECONDS, logger });
    const locks = new UserLocks(mongo);
    const snapshots = new ExchangeSnapshots(config.EXCHANGE_STATE_CACHE_SECONDS * 1000);
    const placement = new OrderPlacement({ models, events, snapshots, logger });
    const strategies = new Strategies({ models, auth, maxPerUser: config.MAX_STRATEGIES_PER_USER });
    const turns = new UserTurns(locks);
    const execution = new SignalExecution({
      models,
      accounts,
      markets,
      entitlement,
      events,
      snapshots,
      placement,
      limits: new LimitNotices({ models, events, logger }),
      turns,
      logger,
      maxSignalAgeSeconds: config.MAX_SIGNAL_AGE_SECONDS,
    });
    const signals = new SignalIntake({
      models,
      auth,
      strategies,
      events,
      execution,
      turns,
      logger,
      maxSignalAgeSeconds: config.MAX_SIGNAL_AGE_SECONDS,
      metrics,
    });
    const followUp = new OrderFollowUp({ models, accounts, markets, placement, logger }, config.ORDER_FOLLOW_UP_INTERVAL_MS);
    followUp.start();
    const paperTriggers = new PaperTriggerWatcher(
      { models, markets, logger, close: (t, reason, price) => execution.closeOnTrigger(t, reason, price) },
      config.PAPER_TRIGGER_INTERVAL_MS,
    );
    paperTriggers.start();
    const reconciler = new PositionReconciler({ models, accounts, locks, events, logger }, config.RECONCILE_POSITIONS_INTERVAL_MS);
    reconciler.start();

    const alerts = new AlertConsumer(nc, signals, logger, {
      concurrency: config.ALERT_CONCURRENCY,
      ackWaitMs: config.ALERT_ACK_WAIT_MS,
      metrics: consumerMetrics,
    });
    await alerts.start();
    const alertLag = consumerMetrics.watch(nc, ALERT_STREAM, ALERT_CONSUMER, 5_000, logger);
    const metricsServer = await startMetricsServer(config.METRICS_PORT, registry, logger);

    const server = await startRpcServer({
      port: config.TRADING_PORT,
      host: config.RPC_HOST,
      logger,
      metrics: createRpcMetrics(registry),
      interceptors: [requireServiceToken({ service: 'trading', allowedCallers: ALLOWED_CALLERS.trading, secrets: config.SERVICE_TOKEN_SECRET })],
      routes: (router) => {
        router.service(TradingService, tradingService({ models, accounts, signals, auth, strategies, connection }));
        registerHealth(router, [TradingService.typeName], {
          mongodb: () => pingMongo(mongo),
          nats: async () => isNatsConnected(nc),
        });
        // grpcurl and `buf curl --reflect` without .proto files (behind the service token).
        registerReflection(router, [TradingService, Health]);
      },
    });

    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      ['alert intake', () => alerts.stop()],
      ['alert consumer metrics', () => alertLag.stop()],
      ['rpc server', () => server.close(config.SHUTDOWN_TIMEOUT_MS)],
      ['signals in flight', () => signals.drain()],
      ['order follow-up', () => followUp.stop()],
      ['paper triggers', () => paperTriggers.stop()],
      ['position reconciliation', () => reconciler.stop()],
      ['outbox', () => events.stop()],
      ['metrics server', () => metricsServer.close()],
      ['nats', () => nc.drain()],
      ['mongodb', () => mongo.close()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

void main();
