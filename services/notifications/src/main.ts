import { hostname } from 'node:os';
import {
  ALLOWED_CALLERS,
  connectMongo,
  connectNats,
  createLogger,
  ConsumerMetrics,
  createRegistry,
  createRpcMetrics,
  instrumentMongo,
  every,
  exitOnStartupError,
  Health,
  isNatsConnected,
  NotificationsService,
  onShutdown,
  parseMasterKeys,
  pingMongo,
  registerHealth,
  registerReflection,
  requireServiceToken,
  startMetricsServer,
  startRpcServer,
} from '@tbot/common';
import type { Channel, ChannelName } from './channel';
import { createEmail } from './channels/email/setup';
import { createTelegram, type TelegramSetup } from './channels/telegram/setup';
import { AlertActivity } from './alert-activity';
import { EndpointSecretBox } from './channels/webhook/endpoint-secrets';
import { WebhookEndpoints } from './channels/webhook/endpoints';
import { WebhookChannel } from './channels/webhook/webhook-channel';
import { loadNotificationsConfig } from './config';
import { Contacts } from './contacts';
import { Deliveries } from './deliveries';
import { telegramDestinations, type DestinationSource } from './destinations';
import { FillDigests } from './digest';
import { Dispatcher } from './dispatcher';
import { EventIntake, INTAKE_STREAMS } from './intake';
import { createNotificationMetrics } from './metrics';
import { PreferenceStore } from './preference-store';
import { RetryScheduler } from './retry-scheduler';
import { SilenceWatcher } from './silence-watcher';
import { notificationsService } from './rpc/notifications-service';

async function main(): Promise<void> {
  const logger = createLogger('notifications', process.env.LOG_LEVEL);
  try {
    const config = loadNotificationsConfig();
    logger.level = config.LOG_LEVEL;

    const mongo = await connectMongo(config.MONGODB_URI, logger);
    const nc = await connectNats(config.NATS_URL, 'notifications', logger, config);
    const deliveries = new Deliveries(mongo);
    const preferences = new PreferenceStore(mongo);
    const contacts = new Contacts(mongo);
    const digests = new FillDigests(mongo);
    const endpoints = new WebhookEndpoints(mongo, new EndpointSecretBox(parseMasterKeys(config.NOTIFICATIONS_MASTER_KEY, 'NOTIFICATIONS_MASTER_KEY')));
    const activity = new AlertActivity(mongo);
    await Promise.all([deliveries.init(), contacts.init(), digests.init(), endpoints.init()]);
    // Plaintext secrets from before sealing, and blobs under a retired master key, re-sealed.
    await endpoints.sealStored(logger);

    const registry = createRegistry();
    instrumentMongo(mongo, registry);
    const metrics = createNotificationMetrics(registry);

    // Channels and where each finds a user's addresses. A channel without its settings
    // (no TELEGRAM_BOT_TOKEN, no SMTP_URL) is not registered: its events are not recorded.
    const channels = new Map<ChannelName, Channel>();
    const sources = new Map<ChannelName, DestinationSource>();
    const register = (channel: Channel, source: DestinationSource) => {
      channels.set(channel.name, channel);
      sources.set(source.channel, source);
      logger.info({ channel: channel.name }, 'channel registered');
    };
    // Set once the dispatcher exists: an endpoint disabled for failing tells its owner through the other channels.
    let dispatcher: Dispatcher | undefined;
    const webhook = new WebhookChannel(
      endpoints,
      {
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        maxBodyBytes: config.WEBHOOK_MAX_BODY_BYTES,
        allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        disableAfterFailingMs: config.WEBHOOK_DISABLE_AFTER_FAILING_HOURS * 3_600_000,
        onDisabled: async (ep, reason) => {
          const at = new Date();
          const ids = await dispatcher!.dispatch(
            `endpoint-disabled:${ep._id}`,
            {
              type: 'webhook_endpoint.disabled',
              userId: ep.userId,
              reasonCode: reason,
              failure: true,
              title: 'Webhook endpoint disabled',
              text: `Your webhook endpoint ${ep.url} failed for ${config.WEBHOOK_DISABLE_AFTER_FAILING_HOURS} hours and was disabled. Fix it and add it again.`,
              data: { endpoint_id: ep._id, url: ep.url, reason },
            },
            at,
            { exclude: ['webhook'] },
          );
          dispatcher!.attemptSoon(ids);
        },
      },
      logger,
    );
    register(webhook, endpoints.destinations());
    if (config.WEBHOOK_ALLOW_PRIVATE_TARGETS) logger.warn('WEBHOOK_ALLOW_PRIVATE_TARGETS=true: outbound webhooks may reach private addresses (local and test setups only)');
    let telegram: TelegramSetup | undefined;
    if (config.TELEGRAM_BOT_TOKEN) {
      telegram = await createTelegram(mongo, {
        token: config.TELEGRAM_BOT_TOKEN,
        apiBase: config.TELEGRAM_API_BASE,
        pollTimeoutSec: config.TELEGRAM_POLL_TIMEOUT_SECONDS,
        logger,
      });
      register(telegram.channel, telegramDestinations(telegram.links));
    } else {
      logger.info('TELEGRAM_BOT_TOKEN is not set: no Telegram messages, no chat linking');
    }
    const unsubscribeSecrets = config.NOTIFICATIONS_UNSUBSCRIBE_SECRET ?? [];
    if (config.SMTP_URL) {
      // The schema requires the other three with SMTP_URL.
      register(
        createEmail({ smtpUrl: config.SMTP_URL, from: config.SMTP_FROM!, publicBaseUrl: config.PUBLIC_BASE_URL!, secret: unsubscribeSecrets[0]!, logger }),
        contacts.emailDestinations(),
      );
    } else {
      logger.info('SMTP_URL is not set: no emails');
    }

    dispatcher = new Dispatcher(
      { deliveries, preferences, contacts, digests, channels, sources, metrics, logger },
      {
        owner: `${hostname()}:${process.pid}`,
        leaseMs: config.DELIVERY_LEASE_MS,
        backoff: { baseMs: config.RETRY_BASE_MS, maxDelayMs: config.RETRY_MAX_DELAY_MS, giveUpAfterMs: config.RETRY_GIVE_UP_HOURS * 3_600_000 },
        digestThreshold: config.DIGEST_FILLS_PER_MINUTE,
      },
    );
    const scheduler = new RetryScheduler(deliveries, dispatcher, metrics, logger, { intervalMs: config.RETRY_SCAN_INTERVAL_MS, batchSize: 64, backlogIntervalMs: config.BACKLOG_SCAN_INTERVAL_MS });
    scheduler.start();
    const intake = new EventIntake(nc, dispatcher, metrics, logger, { ackWaitMs: config.EVENT_ACK_WAIT_MS, maxAckPending: 256, activity });
    intake.start();
    // Chat linking (/start <code>, /stop) by long polling; one poller per bot is what
    // Telegram allows, a second replica's polls answer 409 and it waits (updates-poller.ts).
    telegram?.poller.start();
    const silence = new SilenceWatcher(mongo, { preferences, activity, dispatcher, logger }, config.SILENCE_CHECK_INTERVAL_MS);
    await silence.init();
    silence.start();
    // Digests and claims a day old are history (the deliveries keep what they need).
    const prune = every(3_600_000, 'digest and claim prune', logger, async () => {
      const dayAgo = new Date(Date.now() - 86_400_000);
      await digests.prune(dayAgo);
      await deliveries.pruneClaims(dayAgo);
    });

    const metricsServer = await startMetricsServer(config.METRICS_PORT, registry, logger);
    // Lag of both intake consumers (they exist once the intake created them; failures before are logged and retried).
    const consumerMetrics = new ConsumerMetrics(registry);
    const consumerGauges = INTAKE_STREAMS.map((s) => consumerMetrics.watch(nc, s.stream, s.durable, 5_000, logger));
    const impl = notificationsService({
      preferences,
      deliveries,
      dispatcher,
      endpoints,
      webhook,
      contacts,
      telegramLinks: telegram?.links,
      unsubscribeSecrets,
      logger,
      opts: {
        allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
        maxEndpointsPerUser: config.WEBHOOK_MAX_ENDPOINTS_PER_USER,
        secretOverlapSeconds: config.WEBHOOK_SECRET_OVERLAP_SECONDS,
      },
    });
    const dependencies = {
      mongodb: () => pingMongo(mongo),
      nats: async () => isNatsConnected(nc),
      // Reading both streams (they exist once billing and trading have started).
      intake: async () => intake.ready,
    };
    const server = await startRpcServer({
      port: config.NOTIFICATIONS_PORT,
      host: config.RPC_HOST,
      logger,
      metrics: createRpcMetrics(registry),
      interceptors: [requireServiceToken({ service: 'notifications', allowedCallers: ALLOWED_CALLERS.notifications, secrets: config.SERVICE_TOKEN_SECRET })],
      routes: (router) => {
        router.service(NotificationsService, impl);
        registerHealth(router, [NotificationsService.typeName], dependencies);
        registerReflection(router, [NotificationsService, Health]);
      },
    });

    onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
      ['rpc server', () => server.close(config.SHUTDOWN_TIMEOUT_MS)],
      ['event intake', () => intake.stop()],
      ['consumer metrics', () => Promise.all(consumerGauges.map((g) => g.stop()))],
      ['telegram updates poller', async () => telegram?.poller.stop()],
      ['retry scheduler', () => scheduler.stop()],
      ['silence watcher', () => silence.stop()],
      ['attempts in flight', () => dispatcher!.stop()],
      ['prune', () => prune.stop()],
      ['channels', () => Promise.all([...channels.values()].map((c) => c.close()))],
      ['metrics server', () => metricsServer.close()],
      ['nats', () => nc.drain()],
      ['mongodb', () => mongo.close()],
    ]);
  } catch (err) {
    exitOnStartupError(logger, err);
  }
}

void main();
