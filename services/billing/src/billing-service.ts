import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import {
  ApplyEventResponseSchema,
  BillingService,
  CreateStripeCheckoutSessionResponseSchema,
  InitializePaystackPaymentResponseSchema,
  ListPlansResponseSchema,
  PlanSchema,
  isDuplicateKeyError,
  ListPaymentsResponseSchema,
  ListUsersResponseSchema,
  ListWebhookEventsPageResponseSchema,
  ListWebhookEventsResponseSchema,
  afterCursor,
  decodePageCursor,
  pageLimit,
  pageOf,
  WebhookStatsSchema,
  Outcome,
  ReconcileWebhooksResponseSchema,
  ReplayResponseSchema,
  WEBHOOK_PROVIDERS,
  WebhookEventSchema,
  VerifyPaystackPaymentResponseSchema,
  type Logger,
} from '@tbot/common';
import type Stripe from 'stripe';
import { z } from 'zod';
import type { LedgerResult } from './ledger';
import type { DeadLetterDoc, Models, UnmatchedDoc } from './models';
import type { Reconciler } from './webhooks/reconcile';
import type { WebhookReplay } from './webhooks/replay';
import { BadPageToken, INBOX_STATES, type InboxItem, type InboxState, type WebhookInbox } from './webhooks/inbox';
import type { PaystackEventApplier } from './paystack/apply-event';
import type { PaystackClient } from './paystack/client';
import type { PlanCatalog } from './plans';
import type { StripeEventApplier } from './stripe/apply-event';
import { paymentProto, type Subscriptions } from './subscriptions';

const OUTCOMES: Record<LedgerResult['outcome'], Outcome> = {
  applied: Outcome.APPLIED,
  duplicate: Outcome.DUPLICATE,
  stale: Outcome.STALE,
  ignored: Outcome.IGNORED,
  unmatched: Outcome.UNMATCHED,
};

const emailSchema = z.email().max(254);
const userIdSchema = z.uuid();
const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * INVALID_ARGUMENT with a machine-readable reason in the `error-code` response metadata
 * (a gRPC trailer), which the gateway passes on as its error code.
 */
function invalid(message: string, errorCode = 'invalid_request'): ConnectError {
  return new ConnectError(message, Code.InvalidArgument, { 'error-code': errorCode });
}

function check<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(`${field}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return r.data;
}

const eventKeySchema = z.string().min(3).max(300).regex(/^(stripe|paystack):/);

function checkProvider(p: string): string | undefined {
  if (!p) return undefined;
  if (!(WEBHOOK_PROVIDERS as readonly string[]).includes(p)) throw invalid(`provider: one of ${WEBHOOK_PROVIDERS.join(', ')}`);
  return p;
}

/** Statuses whose subscription renews unless told not to. */
const RENEWING = new Set(['active', 'trialing', 'past_due']);

const pageSize = (limit: number) => (limit > 0 ? Math.min(limit, 1000) : 100);

function deadLetterProto(x: DeadLetterDoc) {
  return create(WebhookEventSchema, {
    eventKey: x._id,
    provider: x.provider,
    type: x.type,
    state: 'dead_letter',
    attempts: x.attempts,
    lastError: x.lastError,
    traceId: x.traceId ?? '',
    payload: x.payload,
    receivedAt: x.receivedAt ? timestampFromDate(x.receivedAt) : undefined,
    finishedAt: timestampFromDate(x.deadAt),
    replayedAt: x.replayedAt ? timestampFromDate(x.replayedAt) : undefined,
  });
}

/** An inbox row without its payload (GetWebhookEvent shows that): lists stay small. */
function inboxProto(item: InboxItem) {
  switch (item.state) {
    case 'dead_letter':
      return create(WebhookEventSchema, { ...deadLetterProto(item.doc), payload: '' });
    case 'unmatched':
      return create(WebhookEventSchema, { ...unmatchedProto(item.doc), payload: '' });
    case 'processing':
      return create(WebhookEventSchema, {
        eventKey: item.doc._id,
        provider: item.doc._id.split(':')[0] ?? '',
        state: 'processing',
        receivedAt: timestampFromDate(item.doc.claimedAt),
      });
    case 'done':
      return create(WebhookEventSchema, {
        eventKey: item.doc._id,
        provider: item.doc.provider,
        type: item.doc.type,
        state: 'done',
        outcome: item.doc.outcome ? OUTCOMES[item.doc.outcome as LedgerResult['outcome']] : Outcome.UNSPECIFIED,
        userId: item.doc.userId ?? '',
        detail: item.doc.detail ?? '',
        receivedAt: timestampFromDate(item.doc.receivedAt),
        finishedAt: item.doc.finishedAt ? timestampFromDate(item.doc.finishedAt) : undefined,
      });
  }
}

function unmatchedProto(x: UnmatchedDoc) {
  return create(WebhookEventSchema, {
    eventKey: x._id,
    provider: x.provider,
    type: x.type,
    state: 'unmatched',
    outcome: Outcome.UNMATCHED,
    detail: x.detail ?? '',
    payload: x.payload,
    finishedAt: timestampFromDate(x.parkedAt),
  });
}

export interface BillingDeps {
  models: Models;
  plans: PlanCatalog;
  subs: Subscriptions;
  stripeEvents: StripeEventApplier;
  paystackEvents: PaystackEventApplier;
  stripe?: Stripe;
  paystack?: PaystackClient;
  replay: WebhookReplay;
  reconciler: Reconciler;
  inbox: WebhookInbox;
  logger: Logger;
}

export function billingService(d: BillingDeps): ServiceImpl<typeof BillingService> {
  const loadUser = async (userId: string) => {
    const id = check(userIdSchema, userId, 'user_id');
    const user = await d.models.User.findById(id).lean();
    if (!user) throw new ConnectError(`user ${id} not found`, Code.NotFound);
    return user;
  };
  const paidPlan = (planId: string) => {
    if (!planId) throw invalid('plan: required', 'unknown_plan');
    const plan = d.plans.get(planId);
    if (!plan || plan.id === 'free') throw invalid(`plan: no paid plan "${planId}"`, 'unknown_plan');
    return plan;
  };
  const applied = (r: LedgerResult) => {
    d.logger.info(
      { event_key: r.eventKey || undefined, outcome: r.outcome, user_id: r.userId, detail: r.detail },
      'provider event handled',
    );
    return create(ApplyEventResponseSchema, {
      outcome: OUTCOMES[r.outcome],
      userId: r.userId ?? '',
      eventKey: r.eventKey,
      detail: r.detail ?? '',
    });
  };

  return {
    async createUser(req) {
      const email = check(emailSchema, req.email.trim(), 'email').toLowerCase();
      try {
        const user = await d.models.User.create({ email });
        // Paystack events of this email may be waiting for their user.
        d.replay.retryParked([`email:${email}`]).catch((err: unknown) => d.logger.warn({ err }, 'could not re-try unmatched events'));
        return d.subs.userProto(user.toObject());
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new ConnectError('a user with this email exists', Code.AlreadyExists);
        throw err;
      }
    },

    async getUser(req) {
      return d.subs.userProto(await loadUser(req.userId));
    },

    async listUsers(req) {
      const cursor = req.pageToken ? decodePageCursor(req.pageToken) : undefined;
      if (req.pageToken && !cursor) throw invalid('page_token: not a token from a previous page');
      const limit = pageLimit(req.pageSize);
      const users = await d.models.User.find(afterCursor('createdAt', cursor)).sort({ createdAt: -1, _id: -1 }).limit(limit + 1).lean();
      const page = pageOf(users, limit, (u) => ({ at: u.createdAt, id: u._id }));
      return create(ListUsersResponseSchema, { users: page.items.map((u) => d.subs.userProto(u)), nextPageToken: page.nextPageToken });
    },

    async listPayments(req) {
      const user = await loadUser(req.userId);
      const payments = await d.models.Payment.find({ userId: user._id }).sort({ createdAt: -1 }).limit(200).lean();
      return create(ListPaymentsResponseSchema, { payments: payments.map(paymentProto) });
    },

    async createStripeCheckoutSession(req) {
      if (!d.stripe) throw new ConnectError('Stripe is not configured (STRIPE_SECRET_KEY)', Code.FailedPrecondition);
      const user = await loadUser(req.userId);
      const plan = paidPlan(req.plan);
      const price = plan.stripe?.price_ids[0];
      if (!price) throw invalid(`plan: "${plan.id}" is not sold through Stripe`, 'unknown_plan');
      const successUrl = check(httpUrl, req.successUrl, 'success_url');
      const cancelUrl = check(httpUrl, req.cancelUrl, 'cancel_url');
      const metadata = { user_id: user._id, plan: plan.id };
      const session = await d.stripe.checkout.sessions.create({
        mode: 'subscription',
        line_items: [{ price, quantity: 1 }],
        success_url: successUrl,
        cancel_url: cancelUrl,
        client_reference_id: user._id,
        ...(user.stripeCustomerId ? { customer: user.stripeCustomerId } : { customer_email: user.email }),
        metadata,
        subscription_data: { metadata },
      });
      if (!session.url) throw new ConnectError('Stripe returned a session without a URL', Code.Internal);
      return create(CreateStripeCheckoutSessionResponseSchema, { sessionId: session.id, url: session.url });
    },

    async initializePaystackPayment(req) {
      if (!d.paystack) throw new ConnectError('Paystack is not configured (PAYSTACK_SECRET_KEY)', Code.FailedPrecondition);
      const user = await loadUser(req.userId);
      const plan = paidPlan(req.plan);
      const price = plan.paystack;
      if (!price) throw invalid(`plan: "${plan.id}" is not sold through Paystack`, 'unknown_plan');
      const callbackUrl = req.callbackUrl ? check(httpUrl, req.callbackUrl, 'callback_url') : undefined;
      // Our own reference, so the callback and the webhook can be matched to this attempt.
      const reference = `tb_${randomBytes(12).toString('hex')}`;
      const res = await d.paystack.initialize({
        email: user.email,
        amount: price.amount,
        currency: price.currency,
        reference,
        ...(callbackUrl ? { callback_url: callbackUrl } : {}),
        ...(price.plan_code ? { plan: price.plan_code } : {}),
        metadata: { user_id: user._id, plan: plan.id },
      });
      await d.reconciler.paystackInitialized(res.reference || reference, user._id, plan.id);
      return create(InitializePaystackPaymentResponseSchema, {
        authorizationUrl: res.authorization_url,
        reference: res.reference || reference,
      });
    },

    async cancelSubscription(req) {
      const user = await loadUser(req.userId);
      const s = user.subscription;
      // Asked twice (a double click, a retry): the first call did it.
      if (s.cancelAtPeriodEnd || s.status === 'non_renewing') return d.subs.subscriptionProto(user);
      const id = s.providerSubscriptionId;
      if (s.plan === 'free' || !id || !RENEWING.has(s.status)) {
        throw new ConnectError('there is no renewing paid subscription to cancel', Code.FailedPrecondition, { 'error-code': 'no_subscription' });
      }
      let fields: Record<string, unknown>;
      if (s.provider === 'stripe') {
        if (!d.stripe) throw new ConnectError('Stripe is not configured (STRIPE_SECRET_KEY)', Code.FailedPrecondition);
        await d.stripe.subscriptions.update(id, { cancel_at_period_end: true });
        fields = { 'subscription.cancelAtPeriodEnd': true };
      } else if (s.provider === 'paystack') {
        if (!d.paystack) throw new ConnectError('Paystack is not configured (PAYSTACK_SECRET_KEY)', Code.FailedPrecondition);
        await d.paystack.disableSubscription(id);
        // As Paystack's subscription.not_renew will say (paystack/apply-event.ts).
        fields = { 'subscription.cancelAtPeriodEnd': true, 'subscription.status': 'non_renewing' };
      } else {
        throw new ConnectError(`subscriptions of ${s.provider ?? 'no provider'} cannot be cancelled here`, Code.FailedPrecondition, { 'error-code': 'no_subscription' });
      }
      // Shown at once; the provider's webhook confirms it. Only if the subscription is still
      // the one cancelled (a webhook may have replaced it meanwhile).
      d.logger.info({ user_id: user._id, provider: s.provider }, 'subscription set to end at period end');
      const updated = await d.models.User.findOneAndUpdate({ _id: user._id, 'subscription.providerSubscriptionId': id }, { $set: fields }, { new: true }).lean();
      return d.subs.subscriptionProto(updated ?? (await loadUser(req.userId)));
    },

    async listPlans() {
      const forSale = d.plans.list().filter((p) => p.id !== 'free' && (p.stripe || p.paystack));
      return create(ListPlansResponseSchema, {
        plans: forSale.map((p) =>
          create(PlanSchema, {
            id: p.id,
            features: p.features,
            providers: [...(p.stripe ? ['stripe'] : []), ...(p.paystack ? ['paystack'] : [])],
            amount: BigInt(p.paystack?.amount ?? 0),
            currency: p.paystack?.currency ?? '',
            intervalDays: p.paystack?.interval_days ?? 0,
          }),
        ),
      });
    },

    async applyStripeEvent(req) {
      return applied(await d.stripeEvents.apply(req.payload));
    },

    async applyPaystackEvent(req) {
      return applied(await d.paystackEvents.apply(req.payload));
    },

    async getWebhookEvent(req) {
      const key = check(eventKeySchema, req.eventKey, 'event_key');
      const [entry, dead, parked, claim] = await Promise.all([
        d.models.Ledger.findById(key).lean(),
        d.models.DeadLetter.findById(key).lean(),
        d.models.Unmatched.findById(key).lean(),
        d.models.Claim.findById(key).lean(),
      ]);
      if (dead && !(entry && entry.outcome !== 'unmatched')) return deadLetterProto(dead);
      if (!entry) {
        if (parked) return unmatchedProto(parked);
        return create(WebhookEventSchema, { eventKey: key, state: claim ? 'processing' : 'unknown' });
      }
      return create(WebhookEventSchema, {
        eventKey: key,
        provider: entry.provider,
        type: entry.type,
        state: entry.outcome === 'unmatched' ? 'unmatched' : 'done',
        outcome: entry.outcome ? OUTCOMES[entry.outcome as LedgerResult['outcome']] : Outcome.UNSPECIFIED,
        userId: entry.userId ?? '',
        detail: entry.detail ?? '',
        receivedAt: timestampFromDate(entry.receivedAt),
        finishedAt: entry.finishedAt ? timestampFromDate(entry.finishedAt) : undefined,
        payload: parked?.payload ?? '',
      });
    },

    async listDeadLetters(req) {
      const provider = checkProvider(req.provider);
      const docs = await d.models.DeadLetter.find(provider ? { provider } : {}).sort({ deadAt: -1 }).limit(pageSize(req.limit)).lean();
      return create(ListWebhookEventsResponseSchema, { events: docs.map(deadLetterProto) });
    },

    async listUnmatchedEvents(req) {
      const provider = checkProvider(req.provider);
      const docs = await d.models.Unmatched.find(provider ? { provider } : {}).sort({ parkedAt: -1 }).limit(pageSize(req.limit)).lean();
      return create(ListWebhookEventsResponseSchema, { events: docs.map(unmatchedProto) });
    },

    async listWebhookEvents(req) {
      const provider = checkProvider(req.provider);
      const state = (req.state || 'done') as InboxState;
      if (!INBOX_STATES.includes(state)) throw invalid(`state: one of ${INBOX_STATES.join(', ')}`);
      try {
        const page = await d.inbox.list({ state, provider, pageSize: req.pageSize, pageToken: req.pageToken });
        return create(ListWebhookEventsPageResponseSchema, { events: page.items.map(inboxProto), nextPageToken: page.nextPageToken });
      } catch (err) {
        if (err instanceof BadPageToken) throw invalid(err.message);
        throw err;
      }
    },

    async getWebhookStats(req) {
      const windowMinutes = req.windowMinutes || 60;
      if (windowMinutes > 1440) throw invalid('window_minutes: 1..1440');
      return create(WebhookStatsSchema, await d.inbox.stats(windowMinutes));
    },

    async replayWebhookEvent(req) {
      const key = check(eventKeySchema, req.eventKey, 'event_key');
      if (!(await d.replay.replayOne(key))) throw new ConnectError(`no dead letter or unmatched event ${key}`, Code.NotFound);
      return create(ReplayResponseSchema, { count: 1 });
    },

    async replayDeadLetters(req) {
      return create(ReplayResponseSchema, { count: await d.replay.replayDeadLetters(checkProvider(req.provider)) });
    },

    async redeliverWebhooks(req) {
      if (!req.since) throw invalid('since: required');
      const since = timestampDate(req.since);
      const until = req.until ? timestampDate(req.until) : new Date();
      if (!(since < until)) throw invalid('since: must be before until');
      return create(ReplayResponseSchema, { count: await d.replay.redeliver(checkProvider(req.provider), since, until) });
    },

    async reconcileWebhooks() {
      return create(ReconcileWebhooksResponseSchema, await d.reconciler.run());
    },

    async verifyPaystackPayment(req) {
      const reference = check(z.string().regex(/^[\w.=-]{1,100}$/), req.reference, 'reference');
      const r = await d.paystackEvents.verifyPayment(reference);
      return create(VerifyPaystackPaymentResponseSchema, {
        paid: r.paid,
        paymentStatus: r.paymentStatus,
        outcome: OUTCOMES[r.result.outcome],
        userId: r.result.userId ?? '',
        detail: r.result.detail ?? '',
      });
    },
  };
}
