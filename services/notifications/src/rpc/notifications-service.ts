import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  AddWebhookEndpointResponseSchema,
  AttemptSchema,
  DeliverySchema,
  ListDeliveriesResponseSchema,
  ListWebhookEndpointsResponseSchema,
  NotificationsService,
  PreferenceSchema,
  PreferencesSchema,
  RemoveWebhookEndpointResponseSchema,
  TestWebhookEndpointResponseSchema,
  WebhookEndpointSchema,
  type Logger,
} from '@tbot/common';
import { EVENT_TYPES } from '../catalogue';
import type { EndpointDoc, WebhookEndpoints } from '../channels/webhook/endpoints';
import { webhookPayload, type WebhookChannel } from '../channels/webhook/webhook-channel';
import type { TelegramLinks } from '../channels/telegram/telegram-links';
import type { Contacts } from '../contacts';
import type { Deliveries, DeliveryDoc } from '../deliveries';
import type { Dispatcher } from '../dispatcher';
import { newId } from '../ids';
import type { PreferenceStore } from '../preference-store';
import { CHANNELS, isChannelName, modeFor, type UserPreferences } from '../preferences';
import { contactRpcs } from './contact-rpcs';
import { descriptionOf, endpointUrlOf, eventTypesOf, idOf, invalid, pageOf, preferenceOf, silenceHoursOf, subjectIdsOf, userIdOf } from './validate';

export interface NotificationsServiceDeps {
  preferences: PreferenceStore;
  deliveries: Deliveries;
  dispatcher: Dispatcher;
  endpoints: WebhookEndpoints;
  webhook: WebhookChannel;
  contacts: Contacts;
  /** Undefined without TELEGRAM_BOT_TOKEN. */
  telegramLinks: TelegramLinks | undefined;
  /** Verify unsubscribe links (empty without email). */
  unsubscribeSecrets: readonly string[];
  logger: Logger;
  opts: { allowPrivateTargets: boolean; maxEndpointsPerUser: number; secretOverlapSeconds: number };
}

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'gone'];

function preferencesMessage(userId: string, prefs: UserPreferences, silenceAlertHours: number) {
  return create(PreferencesSchema, {
    userId,
    silenceAlertHours,
    preferences: EVENT_TYPES.flatMap((eventType) =>
      CHANNELS.map((channel) => {
        const { mode, isDefault } = modeFor(prefs, eventType, channel);
        return create(PreferenceSchema, { eventType, channel, mode, isDefault });
      }),
    ),
  });
}

function deliveryMessage(d: DeliveryDoc) {
  return create(DeliverySchema, {
    id: d._id,
    eventId: d.eventId,
    eventType: d.notification.type,
    userId: d.userId,
    channel: d.channel,
    destination: d.address,
    status: d.status,
    createdAt: timestampFromDate(d.createdAt),
    ...(d.status === 'pending' ? { nextAttemptAt: timestampFromDate(d.nextAttemptAt) } : {}),
    title: d.notification.title,
    attempts: d.attempts.map((a) =>
      create(AttemptSchema, { number: a.number, at: timestampFromDate(a.at), outcome: a.outcome, reason: a.reason, statusCode: a.statusCode, replay: a.replay }),
    ),
  });
}

function endpointMessage(e: EndpointDoc) {
  return create(WebhookEndpointSchema, {
    id: e._id,
    userId: e.userId,
    url: e.url,
    description: e.description,
    enabled: e.enabled,
    createdAt: timestampFromDate(e.createdAt),
    ...(e.failingSince ? { failingSince: timestampFromDate(e.failingSince) } : {}),
    disabledReason: e.disabledReason,
    eventTypes: e.eventTypes,
  });
}

const notFound = (what: string) => new ConnectError(`not_found: no such ${what}`, Code.NotFound);

export function notificationsService(d: NotificationsServiceDeps): ServiceImpl<typeof NotificationsService> {
  const { preferences, deliveries, dispatcher, endpoints, webhook, logger, opts } = d;
  return {
    ...contactRpcs({ contacts: d.contacts, preferences, telegramLinks: d.telegramLinks, unsubscribeSecrets: d.unsubscribeSecrets, logger }),
    async getPreferences(req) {
      const userId = userIdOf(req.userId);
      const [prefs, hours] = await Promise.all([preferences.of(userId), preferences.silenceHours(userId)]);
      return preferencesMessage(userId, prefs, hours);
    },

    async updatePreferences(req) {
      const userId = userIdOf(req.userId);
      const hours = req.silenceAlertHours === undefined ? undefined : silenceHoursOf(req.silenceAlertHours);
      if (req.preferences.length === 0 && hours === undefined) throw invalid('no_preferences', 'preferences must list at least one change');
      if (req.preferences.length > EVENT_TYPES.length * CHANNELS.length) throw invalid('too_many_preferences', 'more changes than there are preferences');
      const changes = Object.fromEntries(req.preferences.map((p) => {
        const { key, mode } = preferenceOf(p);
        return [key, mode];
      }));
      // Checked in full before anything is written: a refused request changes nothing.
      if (hours !== undefined) await preferences.setSilenceHours(userId, hours);
      const prefs = req.preferences.length > 0 ? await preferences.update(userId, changes) : await preferences.of(userId);
      return preferencesMessage(userId, prefs, await preferences.silenceHours(userId));
    },

    async listDeliveries(req) {
      const userId = userIdOf(req.userId);
      if (req.channel && !isChannelName(req.channel)) throw invalid('unknown_channel', 'channel must be telegram, email or webhook');
      if (req.status && !DELIVERY_STATUSES.includes(req.status)) throw invalid('invalid_status', `status must be one of ${DELIVERY_STATUSES.join(', ')}`);
      const page = pageOf(req.pageSize, req.pageToken);
      const subjectIds = subjectIdsOf(req.subjectIds);
      const { docs, next } = await deliveries.page(userId, { ...page, ...(req.channel ? { channel: req.channel } : {}), ...(req.status ? { status: req.status } : {}), subjectIds });
      return create(ListDeliveriesResponseSchema, { deliveries: docs.map(deliveryMessage), nextPageToken: next ?? '' });
    },

    async replayDelivery(req) {
      const userId = userIdOf(req.userId);
      const id = idOf('delivery_id', 'dlv', req.deliveryId);
      const doc = await deliveries.get(id);
      if (!doc || doc.userId !== userId) throw notFound('delivery');
      if (doc.status === 'delivered' && !req.force) {
        throw new ConnectError('already_delivered: the delivery went through; set force to send it again', Code.FailedPrecondition);
      }
      if (doc.status === 'pending' && doc.leaseUntil > new Date()) {
        throw new ConnectError('in_progress: the delivery is being attempted right now', Code.FailedPrecondition);
      }
      await deliveries.requestReplay(id);
      logger.info({ delivery_id: id, user_id: userId, previous_status: doc.status }, 'delivery replay requested');
      // Attempted now; if another replica's scheduler got there first, its attempt is the replay.
      const after = (await dispatcher.attempt(id)) ?? (await deliveries.get(id));
      return deliveryMessage(after ?? doc);
    },

    async addWebhookEndpoint(req) {
      const userId = userIdOf(req.userId);
      const url = await endpointUrlOf(req.url, opts.allowPrivateTargets);
      const eventTypes = eventTypesOf(req.eventTypes);
      const description = descriptionOf(req.description);
      if ((await endpoints.countActive(userId)) >= opts.maxEndpointsPerUser) {
        throw new ConnectError(`too_many_endpoints: at most ${opts.maxEndpointsPerUser} endpoints per user`, Code.ResourceExhausted);
      }
      const { endpoint, secret } = await endpoints.add(userId, { url, description, eventTypes });
      logger.info({ endpoint_id: endpoint._id, user_id: userId, host: new URL(url).host }, 'webhook endpoint added');
      return create(AddWebhookEndpointResponseSchema, { endpoint: endpointMessage(endpoint), secret });
    },

    async listWebhookEndpoints(req) {
      const userId = userIdOf(req.userId);
      return create(ListWebhookEndpointsResponseSchema, { endpoints: (await endpoints.list(userId)).map(endpointMessage) });
    },

    async removeWebhookEndpoint(req) {
      const userId = userIdOf(req.userId);
      const id = idOf('endpoint_id', 'whe', req.endpointId);
      if (!(await endpoints.remove(userId, id))) throw notFound('endpoint');
      logger.info({ endpoint_id: id, user_id: userId }, 'webhook endpoint removed');
      return create(RemoveWebhookEndpointResponseSchema, {});
    },

    async rotateWebhookEndpointSecret(req) {
      const userId = userIdOf(req.userId);
      const id = idOf('endpoint_id', 'whe', req.endpointId);
      if (req.overlapSeconds > 7 * 86_400) throw invalid('invalid_overlap', 'overlap_seconds is at most 604800 (7 days)');
      const overlap = req.overlapSeconds || opts.secretOverlapSeconds;
      const r = await endpoints.rotate(userId, id, overlap * 1000);
      if (!r) throw notFound('endpoint');
      logger.info({ endpoint_id: id, user_id: userId, overlap_seconds: overlap }, 'webhook endpoint secret rotated');
      return create(AddWebhookEndpointResponseSchema, { endpoint: endpointMessage(r.endpoint), secret: r.secret });
    },

    async testWebhookEndpoint(req) {
      const userId = userIdOf(req.userId);
      const id = idOf('endpoint_id', 'whe', req.endpointId);
      const ep = await endpoints.ownedBy(userId, id);
      if (!ep) throw notFound('endpoint');
      const now = new Date();
      const testId = newId('test');
      const body = webhookPayload({
        eventId: testId,
        type: 'webhook.test',
        userId,
        occurredAt: now,
        title: 'Test message',
        text: 'A test of your webhook endpoint from the trading bot.',
        data: { endpoint_id: ep._id },
        silent: false,
      });
      const outcome = await webhook.post(ep, body, testId, now);
      return create(TestWebhookEndpointResponseSchema, {
        outcome: outcome.kind,
        reason: outcome.kind === 'delivered' ? '' : outcome.reason,
        statusCode: outcome.statusCode ?? 0,
      });
    },
  };
}
