import { Outcome, type WebhookEvent } from '@tbot/common';
import { z } from 'zod';
import { defineRoute, type ApiRoute } from '../define-route';
import type { ApiDeps } from '../deps';
import { iso, isoTime, pageOf, pageQuery } from '../paging';

// The operator's view (tokens whose roles claim holds "operator"): the webhook inbox by
// provider and state, its counts over the last hour, replay, and the users with their plans.

const STATES = ['done', 'dead_letter', 'unmatched', 'processing'] as const;

const OUTCOME_NAMES: Record<Outcome, string> = {
  [Outcome.UNSPECIFIED]: '',
  [Outcome.APPLIED]: 'applied',
  [Outcome.DUPLICATE]: 'duplicate',
  [Outcome.STALE]: 'stale',
  [Outcome.IGNORED]: 'ignored',
  [Outcome.UNMATCHED]: 'unmatched',
};

const webhookEventSchema = z.object({
  eventKey: z.string().meta({ description: 'stripe:<event id>, paystack:charge:<reference>, …' }),
  provider: z.string(),
  type: z.string(),
  state: z.string().meta({ description: STATES.join(' | ') }),
  outcome: z.string().meta({ description: 'applied | duplicate | stale | ignored | unmatched, or "" when none yet' }),
  userId: z.string(),
  detail: z.string(),
  receivedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  attempts: z.number().int(),
  lastError: z.string(),
  traceId: z.string(),
});

const userSchema = z.object({ userId: z.string(), email: z.string(), plan: z.string(), status: z.string(), createdAt: isoTime.optional() });

function eventOut(e: WebhookEvent) {
  return {
    eventKey: e.eventKey,
    provider: e.provider,
    type: e.type,
    state: e.state,
    outcome: OUTCOME_NAMES[e.outcome] ?? '',
    userId: e.userId,
    detail: e.detail,
    receivedAt: iso(e.receivedAt),
    finishedAt: iso(e.finishedAt),
    attempts: e.attempts,
    lastError: e.lastError,
    traceId: e.traceId,
  };
}

export function operatorRoutes({ clients }: ApiDeps): ApiRoute[] {
  const { billing } = clients;
  return [
    defineRoute({
      method: 'get',
      path: '/ops/webhooks',
      summary: 'Webhook events in one state (done by default), newest first',
      description: 'Payloads are left out; dead letters not yet replayed are under dead_letter.',
      tags: ['operator'],
      auth: 'operator',
      query: z.object({
        ...pageQuery,
        provider: z.enum(['stripe', 'paystack']).optional(),
        state: z.enum(STATES).default('done'),
      }),
      response: pageOf('events', webhookEventSchema),
      handler: async ({ query }) => {
        const r = await billing.listWebhookEvents({ provider: query.provider ?? '', state: query.state, pageSize: query.pageSize, pageToken: query.pageToken });
        return { events: r.events.map(eventOut), nextPageToken: r.nextPageToken };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/ops/webhooks/stats',
      summary: 'Webhooks over the last 60 minutes: received, failed, failure rate; backlog age, dead letters and unmatched now',
      tags: ['operator'],
      auth: 'operator',
      response: z.object({
        windowMinutes: z.number().int(),
        received: z.number().int(),
        failed: z.number().int(),
        failureRate: z.number().meta({ description: 'failed / received, 0..1' }),
        backlogAgeSeconds: z.number().meta({ description: 'age of the oldest event not applied yet; 0 when none' }),
        deadLetters: z.number().int(),
        unmatched: z.number().int(),
      }),
      handler: async () => {
        const s = await billing.getWebhookStats({ windowMinutes: 60 });
        return {
          windowMinutes: s.windowMinutes,
          received: s.received,
          failed: s.failed,
          failureRate: s.failureRate,
          backlogAgeSeconds: s.backlogAgeSeconds,
          deadLetters: s.deadLetters,
          unmatched: s.unmatched,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/ops/webhooks/{eventKey}/replay',
      summary: 'Put a dead letter or a parked unmatched event back on the stream',
      description: 'Applied through the same ledger: replaying an event that was applied changes nothing. 404 not_found when there is no such dead letter or unmatched event.',
      tags: ['operator'],
      auth: 'operator',
      params: z.object({ eventKey: z.string().regex(/^(stripe|paystack):[\x21-\x7e]{1,290}$/, 'must be an event key (stripe:…, paystack:…)') }),
      response: z.object({ replayed: z.number().int() }),
      handler: async ({ params }) => ({ replayed: (await billing.replayWebhookEvent({ eventKey: params.eventKey })).count }),
    }),
    defineRoute({
      method: 'get',
      path: '/ops/users',
      summary: 'Users and their plans, newest first',
      tags: ['operator'],
      auth: 'operator',
      query: z.object(pageQuery),
      response: pageOf('users', userSchema),
      handler: async ({ query }) => {
        const r = await billing.listUsers({ pageSize: query.pageSize, pageToken: query.pageToken });
        return {
          users: r.users.map((u) => ({ userId: u.id, email: u.email, plan: u.subscription?.plan ?? 'free', status: u.subscription?.status ?? 'none', createdAt: iso(u.createdAt) })),
          nextPageToken: r.nextPageToken,
        };
      },
    }),
  ];
}
