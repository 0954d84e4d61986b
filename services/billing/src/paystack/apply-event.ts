import { Code, ConnectError } from '@connectrpc/connect';
import type { Obj } from '../json-fields';
import { paystackChargeKey, paystackEventKey, type Logger, type OutboxEvent } from '@tbot/common';
import type { EffectResult, EventLedger, LedgerItem, LedgerResult } from '../ledger';
import type { Models } from '../models';
import { FREE_PLAN, type PlanCatalog } from '../plans';
import { stateOutcome, type Subscriptions } from '../subscriptions';
import type { PaystackClient } from './client';
import {
  checkCharge,
  paystackEventSchema,
  readCharge,
  readInvoice,
  readSubscription,
  type ChargeView,
  type CustomerView,
  type PaystackEvent,
} from './payload';

const DAY_MS = 24 * 60 * 60 * 1000;

const chargeKey = paystackChargeKey;

export interface VerifyResult {
  paid: boolean;
  paymentStatus: string;
  result: LedgerResult;
}

export class PaystackEventApplier {
  constructor(
    private readonly models: Models,
    private readonly plans: PlanCatalog,
    private readonly subs: Subscriptions,
    private readonly ledger: EventLedger,
    private readonly client: PaystackClient | undefined,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Applies one event now (the ApplyPaystackEvent RPC). */
  async apply(payload: Uint8Array): Promise<LedgerResult> {
    return this.ledger.applyOne(this.item(payload));
  }

  /** The ledger's view of one event; throws INVALID_ARGUMENT when it is not a Paystack event. */
  item(payload: Uint8Array, opts: { deferUnmatched?: boolean } = {}): LedgerItem {
    const event = parseEvent(payload);
    const key = paystackEventKey(event, payload);
    const customer = Array.isArray(event.data) ? undefined : (event.data.customer as Record<string, unknown> | undefined);
    const who = customer && typeof customer === 'object' ? (customer.customer_code ?? customer.email) : undefined;
    return {
      eventKey: key,
      provider: 'paystack',
      type: event.event,
      payload: Buffer.from(payload).toString('utf8'),
      partition: typeof who === 'string' ? `paystack:${who}` : key,
      deferUnmatched: opts.deferUnmatched,
      effect: () => this.handle(event, key),
    };
  }

  /** The callback path: ask Paystack, then apply the charge once (shared with charge.success). */
  async verifyPayment(reference: string): Promise<VerifyResult> {
    if (!this.client) throw new ConnectError('Paystack is not configured (PAYSTACK_SECRET_KEY)', Code.FailedPrecondition);
    const data = await this.client.verify(reference);
    const charge = data ? readCharge(data) : undefined;
    if (!charge || charge.reference !== reference) {
      return {
        paid: false,
        paymentStatus: 'not_found',
        result: { outcome: 'ignored', eventKey: '', detail: 'Paystack knows no such transaction' },
      };
    }
    const check = checkCharge(charge, this.plans);
    if (charge.status !== 'success') {
      // Not a charge to apply, but the attempt belongs in the history when we know the user.
      const userId = await this.findUser(charge.userId, charge.customer);
      if (userId) await this.subs.recordPayment(paymentOf(charge, userId, check.plan?.id ?? null, null, null), `paystack:verify:${reference}`);
      return {
        paid: false,
        paymentStatus: charge.status,
        result: { outcome: 'ignored', eventKey: '', userId, detail: `payment status is ${charge.status}` },
      };
    }
    const key = chargeKey(reference);
    const result = await this.ledger.applyOne({
      eventKey: key,
      provider: 'paystack',
      type: 'charge.success',
      payload: JSON.stringify({ event: 'charge.success', data }),
      partition: key,
      effect: () => this.chargeSucceeded(charge, key),
    });
    return { paid: check.ok, paymentStatus: charge.status, result };
  }

  private handle(event: PaystackEvent, key: string): Promise<EffectResult> {
    if (Array.isArray(event.data)) {
      // e.g. subscription.expiring_cards: a list of subscriptions, nothing to change.
      return Promise.resolve({ outcome: 'ignored', detail: `${event.event} is not acted on` });
    }
    const data = event.data;
    switch (event.event) {
      case 'charge.success': {
        const charge = readCharge(data);
        return charge ? this.chargeSucceeded(charge, key) : Promise.resolve(malformed(event));
      }
      case 'subscription.create':
      case 'subscription.disable':
      case 'subscription.not_renew':
        return this.subscription(event, key);
      case 'invoice.create':
      case 'invoice.update':
      case 'invoice.payment_failed':
        return this.invoice(event, key);
      default:
        return Promise.resolve({ outcome: 'ignored', detail: `event type ${event.event} is not handled` });
    }
  }

  private async chargeSucceeded(charge: ChargeView, key: string): Promise<EffectResult> {
    const userId = await this.findUser(charge.userId, charge.customer);
    if (!userId) return unmatched(charge.userId, charge.customer);
    await this.subs.linkCustomer(userId, { paystackCustomerCode: charge.customer.customerCode });
    const check = checkCharge(charge, this.plans);
    const paidAt = charge.paidAt ?? this.now();
    if (!check.ok) {
      const { event } = await this.subs.recordPayment(paymentOf(charge, userId, check.plan?.id ?? null, null, null), key);
      return { outcome: 'ignored', userId, detail: check.reason, events: event ? [event] : [] };
    }
    const plan = check.plan;
    // The period this payment buys is fixed when it is first recorded, so a replay (or
    // the callback and the webhook both arriving) extends nothing twice. A renewal paid
    // before the current period ends extends from that end.
    const s = await this.subs.subscriptionOf(userId);
    const extendsCurrent =
      s?.provider === 'paystack' && s.plan === plan.id && s.currentPeriodEnd && s.currentPeriodEnd > paidAt;
    const periodStart = extendsCurrent ? s.currentPeriodEnd! : paidAt;
    const periodEnd = new Date(periodStart.getTime() + plan.paystack!.interval_days * DAY_MS);
    const { payment, event: paymentEvent } = await this.subs.recordPayment(
      paymentOf(charge, userId, plan.id, periodStart, periodEnd),
      key,
    );
    const events: OutboxEvent[] = paymentEvent ? [paymentEvent] : [];
    const state = await this.subs.applyState({
      userId,
      at: paidAt,
      rank: 1,
      eventId: key,
      cause: 'charge.success',
      fields: {
        plan: plan.id,
        status: 'active',
        provider: 'paystack',
        // A charge without a plan code is a one-off payment: it has no subscription.
        ...(charge.planCode ? {} : { providerSubscriptionId: null }),
        currentPeriodStart: extendsCurrent ? s!.currentPeriodStart ?? payment.periodStart! : payment.periodStart!,
        currentPeriodEnd: payment.periodEnd!,
        cancelAtPeriodEnd: false,
      },
    });
    events.push(...state.events);
    const outcome = stateOutcome(state, userId);
    // The payment is recorded either way; a stale charge simply changes no state.
    return { ...outcome, events };
  }

  private async subscription(event: PaystackEvent, key: string): Promise<EffectResult> {
    const sub = readSubscription(event.data as Obj);
    if (!sub) return malformed(event);
    const userId = await this.findUser(undefined, sub.customer);
    if (!userId) return unmatched(undefined, sub.customer);
    await this.subs.linkCustomer(userId, { paystackCustomerCode: sub.customer.customerCode });
    const at = sub.at ?? this.now();
    const base = {
      userId,
      at,
      eventId: key,
      cause: event.event,
    };
    let state;
    if (event.event === 'subscription.create') {
      const plan = this.plans.byPaystackPlanCode(sub.planCode);
      if (!plan) return { outcome: 'ignored', userId, detail: `no plan has Paystack code ${sub.planCode ?? '(none)'}` };
      state = await this.subs.applyState({
        ...base,
        rank: 0,
        fields: {
          plan: plan.id,
          status: 'active',
          provider: 'paystack',
          providerSubscriptionId: sub.subscriptionCode,
          cancelAtPeriodEnd: false,
          ...(sub.nextPaymentDate ? { currentPeriodEnd: sub.nextPaymentDate } : {}),
        },
      });
    } else if (event.event === 'subscription.not_renew') {
      state = await this.subs.applyState({
        ...base,
        rank: 1,
        onlyIfCurrent: sub.subscriptionCode,
        fields: { status: 'non_renewing', cancelAtPeriodEnd: true, providerSubscriptionId: sub.subscriptionCode },
      });
    } else {
      state = await this.subs.applyState({
        ...base,
        rank: 2,
        onlyIfCurrent: sub.subscriptionCode,
        fields: { plan: FREE_PLAN, status: 'canceled', cancelAtPeriodEnd: false, providerSubscriptionId: sub.subscriptionCode },
      });
    }
    return stateOutcome(state, userId);
  }

  private async invoice(event: PaystackEvent, key: string): Promise<EffectResult> {
    const inv = readInvoice(event.data as Obj);
    if (!inv) return malformed(event);
    const userId = await this.findUser(undefined, inv.customer);
    if (!userId) return unmatched(undefined, inv.customer);
    const failed = event.event === 'invoice.payment_failed' || inv.status === 'failed';
    if (!failed && !inv.paid) {
      return { outcome: 'ignored', userId, detail: `invoice ${inv.invoiceCode} is ${inv.status ?? 'pending'}` };
    }
    const sub = await this.subs.subscriptionOf(userId);
    const { event: paymentEvent } = await this.subs.recordPayment({
      userId,
      provider: 'paystack',
      providerPaymentId: inv.invoiceCode,
      kind: 'subscription_invoice',
      amount: inv.amount,
      currency: inv.currency,
      status: failed ? 'failed' : 'success',
      plan: sub?.plan ?? null,
      providerSubscriptionId: inv.subscriptionCode ?? null,
      paidAt: failed ? null : (inv.paidAt ?? null),
      periodStart: null,
      periodEnd: null,
    }, key);
    const events: OutboxEvent[] = paymentEvent ? [paymentEvent] : [];
    if (inv.subscriptionCode) {
      const end = inv.nextPaymentDate ?? inv.periodEnd;
      const current = sub?.currentPeriodEnd;
      const state = await this.subs.applyState({
        userId,
        at: inv.at ?? this.now(),
        rank: 1,
        eventId: key,
        cause: event.event,
        onlyIfCurrent: inv.subscriptionCode,
        onlyIfStatusIn: failed ? ['active', 'past_due'] : ['active', 'past_due', 'non_renewing'],
        fields: failed
          ? { status: 'past_due' }
          : {
              status: sub?.status === 'non_renewing' ? 'non_renewing' : 'active',
              // A paid invoice only ever moves the end forward.
              ...(end && (!current || end > current) ? { currentPeriodEnd: end } : {}),
            },
      });
      events.push(...state.events);
    }
    return { outcome: 'applied', userId, events, detail: failed ? 'payment failure recorded' : 'payment recorded' };
  }

  /** metadata.user_id, else the stored customer code, else the customer's email. */
  private async findUser(userId: string | undefined, customer: CustomerView): Promise<string | undefined> {
    const { User } = this.models;
    if (userId && (await this.subs.userExists(userId))) return userId;
    if (customer.customerCode) {
      const u = await User.findOne({ paystackCustomerCode: customer.customerCode }, { _id: 1 }).lean();
      if (u) return u._id;
    }
    if (customer.email) {
      const u = await User.findOne({ email: customer.email }, { _id: 1 }).lean();
      if (u) return u._id;
    }
    return undefined;
  }
}

function parseEvent(payload: Uint8Array): PaystackEvent {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    throw new ConnectError('payload is not JSON', Code.InvalidArgument);
  }
  const parsed = paystackEventSchema.safeParse(json);
  if (!parsed.success) throw new ConnectError('not a Paystack event: needs "event" and "data"', Code.InvalidArgument);
  return parsed.data;
}

function paymentOf(charge: ChargeView, userId: string, plan: string | null, periodStart: Date | null, periodEnd: Date | null) {
  return {
    userId,
    provider: 'paystack',
    providerPaymentId: charge.reference,
    kind: charge.planCode ? 'subscription_charge' : 'plan_payment',
    amount: charge.amount,
    currency: charge.currency,
    status: charge.status,
    plan,
    providerSubscriptionId: null,
    paidAt: charge.status === 'success' ? (charge.paidAt ?? null) : null,
    periodStart,
    periodEnd,
  };
}

function malformed(event: PaystackEvent): EffectResult {
  return { outcome: 'ignored', detail: `${event.event} payload lacks the fields it needs` };
}

function unmatched(userId: string | undefined, c: CustomerView): EffectResult {
  return {
    outcome: 'unmatched',
    detail: `no user for ${describe(userId, c)}`,
    matchKeys: [userId && `user:${userId}`, c.customerCode && `paystack_customer:${c.customerCode}`, c.email && `email:${c.email}`].filter(
      (k): k is string => Boolean(k),
    ),
  };
}

function describe(userId: string | undefined, c: CustomerView): string {
  return [userId && `user_id ${userId}`, c.customerCode && `customer ${c.customerCode}`, c.email && 'the customer email']
    .filter(Boolean)
    .join(', ') || 'an event without user or customer';
}
