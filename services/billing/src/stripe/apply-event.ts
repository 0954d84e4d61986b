import { Code, ConnectError } from '@connectrpc/connect';
import { STRIPE_EVENT_TYPES, stripeEventKey, type Logger, type OutboxEvent } from '@tbot/common';
import type { EffectResult, EventLedger, LedgerItem, LedgerResult } from '../ledger';
import type { Models } from '../models';
import { FREE_PLAN, type PlanCatalog } from '../plans';
import { stateOutcome, type Subscriptions } from '../subscriptions';
import {
  readCheckoutSession,
  readInvoice,
  readPaymentIntent,
  readSubscription,
  stripeEventSchema,
  type StripeEvent,
} from './payload';

/** Same-second tie-breaker: a deletion beats an update beats a creation. */
const RANK: Record<string, number> = {
  'customer.subscription.created': 0,
  'customer.subscription.updated': 1,
  'invoice.paid': 1,
  'invoice.payment_failed': 1,
  'customer.subscription.deleted': 2,
};

/** Statuses under which a subscription may become the user's current one. */
const LIVE = new Set(['active', 'trialing', 'past_due']);

interface UserHint {
  userId?: string;
  customerId?: string;
  subscriptionId?: string;
}

export class StripeEventApplier {
  constructor(
    private readonly models: Models,
    private readonly plans: PlanCatalog,
    private readonly subs: Subscriptions,
    private readonly ledger: EventLedger,
    private readonly logger: Logger,
  ) {}

  /** Applies one event now (the ApplyStripeEvent RPC). */
  async apply(payload: Uint8Array): Promise<LedgerResult> {
    return this.ledger.applyOne(this.item(payload));
  }

  /** The ledger's view of one event; throws INVALID_ARGUMENT when it is not a Stripe event. */
  item(payload: Uint8Array, opts: { deferUnmatched?: boolean } = {}): LedgerItem {
    const event = parseEvent(payload);
    const known = (STRIPE_EVENT_TYPES as readonly string[]).includes(event.type);
    const o = event.data.object;
    const key = stripeEventKey(event.id);
    return {
      eventKey: key,
      provider: 'stripe',
      type: event.type,
      payload: Buffer.from(payload).toString('utf8'),
      // One customer's events in order; the customer is on every object we act on.
      partition: `stripe:${idOf(o.customer) ?? idOf(o.subscription) ?? idOf(o.id) ?? key}`,
      deferUnmatched: opts.deferUnmatched,
      effect: async () => (known ? this.handle(event) : { outcome: 'ignored', detail: `event type ${event.type} is not handled` }),
    };
  }

  private handle(event: StripeEvent): Promise<EffectResult> {
    const o = event.data.object;
    switch (event.type) {
      case 'checkout.session.completed':
        return this.checkoutCompleted(event, o);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
        return this.subscriptionChanged(event, o);
      case 'invoice.paid':
      case 'invoice.payment_failed':
        return this.invoice(event, o);
      case 'payment_intent.succeeded':
        return this.paymentIntent(event, o);
      default:
        return Promise.resolve({ outcome: 'ignored', detail: `event type ${event.type} is not handled` });
    }
  }

  private async checkoutCompleted(event: StripeEvent, o: Record<string, unknown>): Promise<EffectResult> {
    const session = readCheckoutSession(o);
    if (!session) return malformed(event);
    const userId = await this.findUser(session);
    if (!userId) return unmatched(session);
    await this.subs.linkCustomer(userId, { stripeCustomerId: session.customerId });
    if (session.mode === 'subscription' && session.subscriptionId) {
      // A link, not a state change: the subscription events carry plan, status and period.
      await this.subs.linkSubscription(userId, 'stripe', session.subscriptionId);
    }
    return { outcome: 'applied', userId, detail: 'customer linked' };
  }

  private async subscriptionChanged(event: StripeEvent, o: Record<string, unknown>): Promise<EffectResult> {
    const sub = readSubscription(o);
    if (!sub) return malformed(event);
    const userId = await this.findUser({ userId: sub.userId, customerId: sub.customerId, subscriptionId: sub.id });
    if (!userId) return unmatched(sub);
    await this.subs.linkCustomer(userId, { stripeCustomerId: sub.customerId });
    const deleted = event.type === 'customer.subscription.deleted';
    const plan = deleted ? undefined : (this.plans.byStripePrices(sub.priceIds) ?? this.plans.get(sub.planHint ?? ''));
    if (!deleted && !plan) {
      return { outcome: 'ignored', userId, detail: `no plan has price ${sub.priceIds.join(', ') || '(none)'}` };
    }
    const ended = deleted || sub.status === 'canceled' || sub.status === 'incomplete_expired';
    const state = await this.subs.applyState({
      userId,
      at: new Date(event.created * 1000),
      rank: RANK[event.type] ?? 1,
      eventId: `stripe:${event.id}`,
      cause: event.type,
      // An old subscription ending (or failing) must not touch a newer current one;
      // a live one may replace it (the user switched plans through a new checkout).
      onlyIfCurrent: ended || !LIVE.has(sub.status) ? sub.id : undefined,
      fields: {
        plan: ended ? FREE_PLAN : plan!.id,
        status: deleted ? 'canceled' : sub.status,
        provider: 'stripe',
        providerSubscriptionId: sub.id,
        currentPeriodStart: sub.periodStart,
        currentPeriodEnd: sub.periodEnd,
        cancelAtPeriodEnd: deleted ? false : sub.cancelAtPeriodEnd,
      },
    });
    return stateOutcome(state, userId);
  }

  private async invoice(event: StripeEvent, o: Record<string, unknown>): Promise<EffectResult> {
    const inv = readInvoice(o);
    if (!inv) return malformed(event);
    const userId = await this.findUser(inv);
    if (!userId) return unmatched(inv);
    await this.subs.linkCustomer(userId, { stripeCustomerId: inv.customerId });
    const paid = event.type === 'invoice.paid';
    const current = await this.subs.subscriptionOf(userId);
    const { event: paymentEvent } = await this.subs.recordPayment({
      userId,
      provider: 'stripe',
      providerPaymentId: inv.id,
      kind: inv.subscriptionId ? 'subscription_invoice' : 'invoice',
      amount: inv.amount,
      currency: inv.currency,
      status: paid ? 'paid' : 'failed',
      plan: inv.subscriptionId && current?.providerSubscriptionId === inv.subscriptionId
        ? current.plan
        : null,
      providerSubscriptionId: inv.subscriptionId ?? null,
      paidAt: paid ? (inv.paidAt ?? new Date(event.created * 1000)) : null,
      periodStart: null,
      periodEnd: null,
    }, `stripe:${event.id}`);
    const events: OutboxEvent[] = paymentEvent ? [paymentEvent] : [];
    if (inv.subscriptionId) {
      const state = await this.subs.applyState({
        userId,
        at: new Date(event.created * 1000),
        rank: RANK[event.type] ?? 1,
        eventId: `stripe:${event.id}`,
        cause: event.type,
        onlyIfCurrent: inv.subscriptionId,
        // A paid invoice revives a subscription in arrears; a failed one puts a live one in arrears.
        onlyIfStatusIn: paid ? ['past_due', 'unpaid', 'incomplete', 'active', 'trialing'] : ['active', 'trialing', 'past_due'],
        fields: paid
          ? { status: 'active', ...(inv.periodEnd ? { currentPeriodEnd: inv.periodEnd } : {}) }
          : { status: 'past_due' },
      });
      events.push(...state.events);
    }
    return { outcome: 'applied', userId, events, detail: `payment ${paid ? 'recorded' : 'failure recorded'}` };
  }

  private async paymentIntent(event: StripeEvent, o: Record<string, unknown>): Promise<EffectResult> {
    const pi = readPaymentIntent(o);
    if (!pi) return malformed(event);
    if (pi.invoiceId) {
      return { outcome: 'ignored', detail: `pays invoice ${pi.invoiceId}; recorded from the invoice events` };
    }
    const userId = await this.findUser(pi);
    if (!userId) return unmatched(pi);
    const { event: paymentEvent } = await this.subs.recordPayment({
      userId,
      provider: 'stripe',
      providerPaymentId: pi.id,
      kind: 'one_time',
      amount: pi.amount,
      currency: pi.currency,
      status: 'succeeded',
      plan: null,
      providerSubscriptionId: null,
      paidAt: pi.createdAt ?? new Date(event.created * 1000),
      periodStart: null,
      periodEnd: null,
    }, `stripe:${event.id}`);
    return { outcome: 'applied', userId, events: paymentEvent ? [paymentEvent] : [], detail: 'one-time payment recorded' };
  }

  /** Our user id from metadata or client_reference_id, else the stored customer or subscription link. */
  private async findUser(hint: UserHint): Promise<string | undefined> {
    const { User } = this.models;
    if (hint.userId && (await this.subs.userExists(hint.userId))) return hint.userId;
    if (hint.customerId) {
      const user = await User.findOne({ stripeCustomerId: hint.customerId }, { _id: 1 }).lean();
      if (user) return user._id;
    }
    if (hint.subscriptionId) {
      const user = await User.findOne(
        { 'subscription.provider': 'stripe', 'subscription.providerSubscriptionId': hint.subscriptionId },
        { _id: 1 },
      ).lean();
      if (user) return user._id;
    }
    return undefined;
  }
}

export function parseEvent(payload: Uint8Array): StripeEvent {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new ConnectError('payload is not JSON', Code.InvalidArgument);
  }
  const parsed = stripeEventSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConnectError(`not a Stripe event: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`.trim(), Code.InvalidArgument);
  }
  return parsed.data;
}

function malformed(event: StripeEvent): EffectResult {
  return { outcome: 'ignored', detail: `${event.type} carries no usable ${event.type.split('.').slice(0, -1).join('.')} object` };
}

const idOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : undefined;

function unmatched(hint: UserHint): EffectResult {
  return {
    outcome: 'unmatched',
    matchKeys: [
      hint.userId && `user:${hint.userId}`,
      hint.customerId && `stripe_customer:${hint.customerId}`,
      hint.subscriptionId && `stripe_subscription:${hint.subscriptionId}`,
    ].filter((k): k is string => Boolean(k)),
    detail: `no user for ${[
      hint.userId && `user_id ${hint.userId}`,
      hint.customerId && `customer ${hint.customerId}`,
      hint.subscriptionId && `subscription ${hint.subscriptionId}`,
    ]
      .filter(Boolean)
      .join(', ') || 'an event without user, customer or subscription'}`,
  };
}
