import { Code, ConnectError } from '@connectrpc/connect';
import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime } from '../paging';
import { withFieldErrors } from '../rpc-fields';

const CHANNELS = ['telegram', 'email', 'webhook'] as const;
const MODES = ['on', 'silent', 'off', 'failures_only'] as const;

const preferencesSchema = z.object({
  preferences: z.array(z.object({ eventType: z.string(), channel: z.enum(CHANNELS), mode: z.enum(MODES), isDefault: z.boolean() })),
  silenceAlertHours: z.number().int().meta({ description: 'tell the user when no TradingView alert came for this many hours; 0: off' }),
});

const putPreferences = z.strictObject({
  preferences: z
    .array(
      z.strictObject({
        eventType: z.string().min(1).max(80),
        channel: z.enum(CHANNELS),
        mode: z.enum([...MODES, 'default']).meta({ description: '"default" removes the user\u2019s own value' }),
      }),
    )
    .max(500)
    .default([]),
  silenceAlertHours: z.number().int().min(0).max(168).optional().meta({ description: '0 turns it off; 1..168' }),
});

const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  eventTypes: z.array(z.string()),
  disabledReason: z.string().optional(),
  failingSince: isoTime.optional(),
  createdAt: isoTime.optional(),
});
type ProtoEndpoint = {
  id: string;
  url: string;
  description: string;
  enabled: boolean;
  eventTypes: string[];
  disabledReason: string;
  failingSince?: { seconds: bigint; nanos: number } | undefined;
  createdAt?: { seconds: bigint; nanos: number } | undefined;
};
const endpointOut = (e: ProtoEndpoint): z.input<typeof endpointSchema> => ({
  id: e.id,
  url: e.url,
  description: e.description,
  enabled: e.enabled,
  eventTypes: e.eventTypes,
  disabledReason: e.disabledReason || undefined,
  failingSince: iso(e.failingSince),
  createdAt: iso(e.createdAt),
});
const endpointWithSecret = z.object({ endpoint: endpointSchema, secret: z.string().meta({ description: 'whsec_…: shown once' }) });

const endpointParams = z.object({ id: z.string().min(1).max(100) });
const chatParams = z.object({ chatId: z.string().regex(/^-?\d{1,20}$/, 'must be a Telegram chat id') });

/** Notification preferences and channels (Telegram chats, email, signed webhooks). */
export function notificationApiRoutes({ clients }: ApiDeps): ApiRoute[] {
  const n = clients.notifications;
  const preferencesOut = (p: { preferences: { eventType: string; channel: string; mode: string; isDefault: boolean }[]; silenceAlertHours: number }) => ({
    preferences: p.preferences.map((x) => ({ eventType: x.eventType, channel: x.channel as (typeof CHANNELS)[number], mode: x.mode as (typeof MODES)[number], isDefault: x.isDefault })),
    silenceAlertHours: p.silenceAlertHours,
  });
  return [
    defineRoute({
      method: 'get',
      path: '/notifications/preferences',
      summary: 'Every event type \u00d7 channel with its mode (defaults filled in)',
      tags: ['notifications'],
      auth: 'user',
      response: preferencesSchema,
      handler: async ({ userId }) => preferencesOut(await n.getPreferences({ userId })),
    }),
    defineRoute({
      method: 'put',
      path: '/notifications/preferences',
      summary: 'Set the given (event type, channel) pairs; others keep their mode',
      tags: ['notifications'],
      auth: 'user',
      body: putPreferences,
      response: preferencesSchema,
      handler: async ({ userId, body }) =>
        preferencesOut(await withFieldErrors(n.updatePreferences({ userId, preferences: body.preferences, silenceAlertHours: body.silenceAlertHours }), 'preferences')),
    }),
    defineRoute({
      method: 'get',
      path: '/notifications/channels',
      summary: 'Linked Telegram chats and webhook endpoints',
      tags: ['notifications'],
      auth: 'user',
      response: z.object({
        email: z.string().optional().meta({ description: 'where emails go; absent when none is known' }),
        emailGone: z.boolean().meta({ description: 'the address bounced: nothing is sent to it until a new one is set' }),
        telegramChats: z.array(z.object({ chatId: z.string() })),
        telegramAvailable: z.boolean().meta({ description: 'false when this deployment has no Telegram bot' }),
        webhookEndpoints: z.array(endpointSchema),
      }),
      handler: async ({ userId }) => {
        const [address, chats, endpoints] = await Promise.all([
          n.getEmailAddress({ userId }),
          // A deployment without a bot has no chats: that is not an error for this page.
          n.listTelegramChats({ userId }).catch((err: unknown) => {
            if (err instanceof ConnectError && err.code === Code.FailedPrecondition) return undefined;
            throw err;
          }),
          n.listWebhookEndpoints({ userId }),
        ]);
        return {
          email: address.email || undefined,
          emailGone: address.gone,
          telegramChats: (chats?.chatIds ?? []).map((chatId) => ({ chatId })),
          telegramAvailable: chats !== undefined,
          webhookEndpoints: endpoints.endpoints.map(endpointOut),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/telegram/link',
      summary: 'A one-time link (15 minutes) that binds a Telegram chat to the user',
      tags: ['notifications'],
      auth: 'user',
      response: z.object({ url: z.string(), code: z.string(), expiresAt: isoTime.optional() }),
      handler: async ({ userId }) => {
        const r = await n.createTelegramLink({ userId });
        return { url: r.deepLink, code: r.code, expiresAt: iso(r.expiresAt) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/notifications/telegram/{chatId}',
      summary: 'Unlink a Telegram chat',
      tags: ['notifications'],
      auth: 'user',
      params: chatParams,
      status: 204,
      response: z.undefined(),
      handler: async ({ userId, params }) => {
        await n.unlinkTelegramChat({ userId, chatId: params.chatId });
      },
    }),
    defineRoute({
      method: 'put',
      path: '/notifications/email',
      summary: 'The address notification emails go to',
      tags: ['notifications'],
      auth: 'user',
      body: z.strictObject({ email: z.email().max(254) }),
      response: z.object({ email: z.string() }),
      handler: async ({ userId, body }) => {
        await withFieldErrors(n.setEmailAddress({ userId, email: body.email }), 'email');
        return { email: body.email };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/webhooks',
      summary: 'Add a signed webhook endpoint (Standard Webhooks); its secret is shown once',
      tags: ['notifications'],
      auth: 'user',
      status: 201,
      body: z.strictObject({
        url: z.url({ protocol: /^https?$/, error: 'must be an https URL' }).max(2048),
        description: z.string().max(200).default(''),
        eventTypes: z.array(z.string().min(1).max(80)).max(100).default([]),
      }),
      response: endpointWithSecret,
      handler: async ({ userId, body }) => {
        const r = await withFieldErrors(n.addWebhookEndpoint({ userId, url: body.url, description: body.description, eventTypes: body.eventTypes }), 'url');
        return { endpoint: endpointOut(r.endpoint!), secret: r.secret };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/notifications/webhooks/{id}',
      summary: 'Remove a webhook endpoint',
      tags: ['notifications'],
      auth: 'user',
      params: endpointParams,
      status: 204,
      response: z.undefined(),
      handler: async ({ userId, params }) => {
        await n.removeWebhookEndpoint({ userId, endpointId: params.id });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/webhooks/{id}/rotate',
      summary: 'A new signing secret (shown once); the old one signs alongside it for 24 h',
      tags: ['notifications'],
      auth: 'user',
      params: endpointParams,
      response: endpointWithSecret,
      handler: async ({ userId, params }) => {
        const r = await n.rotateWebhookEndpointSecret({ userId, endpointId: params.id });
        return { endpoint: endpointOut(r.endpoint!), secret: r.secret };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/webhooks/{id}/test',
      summary: 'Send a signed webhook.test message now and report the answer',
      tags: ['notifications'],
      auth: 'user',
      params: endpointParams,
      response: z.object({ outcome: z.string(), reason: z.string(), statusCode: z.number().int() }),
      handler: async ({ userId, params }) => {
        const r = await n.testWebhookEndpoint({ userId, endpointId: params.id });
        return { outcome: r.outcome, reason: r.reason, statusCode: r.statusCode };
      },
    }),
  ];
}
