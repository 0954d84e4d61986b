import { fromJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  ExchangeKeysRejectedEventSchema,
  OrderEventSchema,
  PaymentEventSchema,
  PositionMismatchEventSchema,
  RiskLimitReachedEventSchema,
  SignalRejectedEventSchema,
  SubscriptionEventSchema,
} from '@tbot/common';

/**
 * The event catalogue: which NATS subjects become notifications, as which event type, with
 * which reason code and words. Pure: a subject and a body in, a rendered event (or why
 * not) out; the dispatcher decides who gets it.
 */

export const EVENT_TYPES = [
  'subscription.activated',
  'subscription.renewed',
  'subscription.past_due',
  'subscription.canceled',
  'subscription.updated',
  'payment.succeeded',
  'payment.failed',
  'order.submitted',
  'order.filled',
  'order.rejected',
  'order.failed',
  'signal.rejected',
  'position.mismatch',
  'risk.limit_reached',
  'exchange.keys_rejected',
  // Sent by the service itself: no TradingView alert for longer than the user set (silence-watcher.ts).
  'tradingview.silent',
  // Sent by the service itself: an outbound endpoint was switched off (410 or 5 days failing).
  'webhook_endpoint.disabled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (v: string): v is EventType => (EVENT_TYPES as readonly string[]).includes(v);

/** Billing events are the only place users' email addresses reach this service. */
export interface CataloguedEvent {
  type: EventType;
  userId: string;
  /** Machine-readable why, e.g. "risk_rejected:max_orders_per_minute", "exchange_rejected:51008", "past_due". */
  reasonCode: string;
  /** Failures pass a "failures_only" preference. */
  failure: boolean;
  title: string;
  text: string;
  /** The event as published (protobuf JSON, proto field names), for outbound webhooks. */
  data: Record<string, unknown>;
  /** The user's current email address, when the event carries one. */
  email?: string;
  occurredAt?: Date;
}

export type CatalogueResult =
  | { ok: true; event: CataloguedEvent }
  | { ok: false; reason: 'unknown_subject' | 'invalid_body' | 'no_user'; detail: string };

type Reader = (data: Record<string, unknown>) => Omit<CataloguedEvent, 'data'> | undefined;

function read<D extends DescMessage>(schema: D, data: Record<string, unknown>): MessageShape<D> {
  // Unknown fields are skipped: a publisher may add fields before this service knows them.
  return fromJson(schema, data as JsonValue, { ignoreUnknownFields: true });
}

const money = (amount: bigint, currency: string) =>
  currency ? `${(Number(amount) / 100).toFixed(2)} ${currency.toUpperCase()}` : String(amount);
const day = (d: Date | undefined) => (d ? d.toISOString().slice(0, 10) : 'unknown');

const subscription: Reader = (data) => {
  const e = read(SubscriptionEventSchema, data);
  const periodEnd = e.currentPeriodEnd ? timestampDate(e.currentPeriodEnd) : undefined;
  const base = { userId: e.userId, email: e.email || undefined };
  return { ...base, ...subscriptionKind(e.status, e.plan, e.previousPlan, e.cause, periodEnd) };
};

/** billing.subscription.updated covers several changes a user cares about differently. */
export function subscriptionKind(
  status: string,
  plan: string,
  previousPlan: string,
  cause: string,
  periodEnd: Date | undefined,
): Pick<CataloguedEvent, 'type' | 'reasonCode' | 'failure' | 'title' | 'text'> {
  if (status === 'past_due' || status === 'unpaid') {
    return {
      type: 'subscription.past_due',
      reasonCode: status,
      failure: true,
      title: `Payment overdue for your ${plan} plan`,
      text: `Your ${plan} subscription is ${status.replace('_', ' ')}: the last payment did not go through. Update your payment method to keep trading features.`,
    };
  }
  if (status === 'canceled' || plan === 'free') {
    return {
      type: 'subscription.canceled',
      reasonCode: status || 'canceled',
      failure: false,
      title: 'Subscription canceled',
      text: `Your ${previousPlan || 'paid'} subscription has ended; you are on the free plan now.`,
    };
  }
  if (plan === previousPlan && (cause.startsWith('invoice.') || cause.startsWith('charge.')) && status === 'active') {
    return {
      type: 'subscription.renewed',
      reasonCode: 'renewed',
      failure: false,
      title: `${plan} plan renewed`,
      text: `Your ${plan} subscription was renewed until ${day(periodEnd)}.`,
    };
  }
  return {
    type: 'subscription.updated',
    reasonCode: status,
    failure: false,
    title: `Subscription updated: ${plan} (${status})`,
    text: `Your subscription is now ${plan}, status ${status}, paid until ${day(periodEnd)}.`,
  };
}

const activated: Reader = (data) => {
  const e = read(SubscriptionEventSchema, data);
  return {
    type: 'subscription.activated',
    userId: e.userId,
    email: e.email || undefined,
    reasonCode: 'activated',
    failure: false,
    title: `${e.plan} plan active`,
    text: `Your ${e.plan} subscription is active${e.currentPeriodEnd ? ` until ${day(timestampDate(e.currentPeriodEnd))}` : ''}. Features: ${e.features.join(', ') || 'none'}.`,
  };
};

const payment =
  (succeeded: boolean): Reader =>
  (data) => {
    const e = read(PaymentEventSchema, data);
    return {
      type: succeeded ? 'payment.succeeded' : 'payment.failed',
      userId: e.userId,
      email: e.email || undefined,
      reasonCode: e.status || (succeeded ? 'succeeded' : 'failed'),
      failure: !succeeded,
      title: succeeded ? `Payment received: ${money(e.amount, e.currency)}` : `Payment failed: ${money(e.amount, e.currency)}`,
      text: succeeded
        ? `We received ${money(e.amount, e.currency)} for your ${e.plan || 'subscription'} (${e.provider}).`
        : `A payment of ${money(e.amount, e.currency)} for your ${e.plan || 'subscription'} failed (${e.provider}, status ${e.status}). Update your payment method to keep your plan.`,
    };
  };

const order =
  (status: 'submitted' | 'filled' | 'rejected' | 'failed'): Reader =>
  (data) => {
    const e = read(OrderEventSchema, data);
    const what = `${e.side.toUpperCase()} ${e.amount} ${e.symbol}`;
    const where = e.mode === 'paper' ? 'paper' : e.mode;
    // OKX's own code first: "exchange_rejected:51008" tells the user (and a webhook consumer) exactly why.
    const reasonCode = [e.errorCode || (status === 'filled' || status === 'submitted' ? status : 'exchange_rejected'), e.exchangeCode].filter(Boolean).join(':');
    const why = e.error ? `: ${e.error}${e.exchangeCode ? ` (OKX ${e.exchangeCode})` : ''}` : '';
    const texts = {
      submitted: [`Order sent: ${what}`, `${what} was sent to ${where} (trade ${e.tradeId}).`],
      filled: [`Filled: ${what} @ ${e.price}`, `${what} filled at ${e.price} on ${where}${e.fee ? `, fee ${e.fee} ${e.feeCurrency}` : ''} (trade ${e.tradeId}).`],
      rejected: [`Order rejected: ${what}`, `${where} refused ${what}${why} (trade ${e.tradeId}).`],
      failed: [`Order failed: ${what}`, `${what} could not be placed on ${where}${why} (trade ${e.tradeId}).`],
    } as const;
    return {
      type: `order.${status}`,
      userId: e.userId,
      reasonCode,
      failure: status === 'rejected' || status === 'failed',
      title: texts[status][0],
      text: texts[status][1],
    };
  };

const signalRejected: Reader = (data) => {
  const e = read(SignalRejectedEventSchema, data);
  return {
    type: 'signal.rejected',
    userId: e.userId,
    reasonCode: e.rule ? `${e.rejectCode}:${e.rule}` : e.rejectCode,
    failure: true,
    title: `Signal refused: ${e.rejectCode.replace(/_/g, ' ')}`,
    text: `A TradingView signal (${e.signalId}) was refused${e.rule ? ` by the rule ${e.rule}` : ''}: ${e.message}`,
  };
};

const positionMismatch: Reader = (data) => {
  const e = read(PositionMismatchEventSchema, data);
  return {
    type: 'position.mismatch',
    userId: e.userId,
    reasonCode: 'position_mismatch',
    failure: true,
    title: `Position differs on ${e.symbol}`,
    text: `OKX (${e.mode}) holds ${e.theirs} ${e.symbol} while the bot's book had ${e.ours}; the book now follows OKX.`,
    ...(e.detectedAt ? { occurredAt: timestampDate(e.detectedAt) } : {}),
  };
};

const RULE_WORDS: Record<string, { title: string; text: (limit: number, value: number, day: string) => string }> = {
  trading_disabled: {
    title: 'Trading is switched off',
    text: () => 'The kill switch of your account is on, so the bot refuses every TradingView signal until you switch trading back on.',
  },
  daily_loss_limit: {
    title: 'Daily loss limit reached',
    text: (limit, value, day) => `Your realized loss on ${day} (UTC) is ${value}, which reached your daily loss limit of ${limit}. The bot refuses new positions until 00:00 UTC; closing orders still go through.`,
  },
};

const riskLimitReached: Reader = (data) => {
  const e = read(RiskLimitReachedEventSchema, data);
  const words = RULE_WORDS[e.rule] ?? { title: `Risk limit reached: ${e.rule}`, text: () => e.message };
  return {
    type: 'risk.limit_reached',
    userId: e.userId,
    reasonCode: `risk_limit:${e.rule}`,
    failure: true,
    title: words.title,
    text: words.text(e.limit, e.value, e.day),
  };
};

const keysRejected: Reader = (data) => {
  const e = read(ExchangeKeysRejectedEventSchema, data);
  const where = e.mode === 'okx-demo' ? 'OKX demo trading' : 'OKX';
  return {
    type: 'exchange.keys_rejected',
    userId: e.userId,
    reasonCode: e.exchangeCode ? `keys_rejected:${e.exchangeCode}` : 'keys_rejected',
    failure: true,
    title: `${where} refused your API keys`,
    text: `${where} refused your API keys${e.message ? `: ${e.message}` : ''}${e.exchangeCode ? ` (OKX ${e.exchangeCode})` : ''}. No orders can be placed until you save working keys (check that the key still exists, its passphrase, its permissions and its IP allow-list).`,
    ...(e.detectedAt ? { occurredAt: timestampDate(e.detectedAt) } : {}),
  };
};

const READERS: Record<string, Reader> = {
  'billing.subscription.activated': activated,
  'billing.subscription.updated': subscription,
  'billing.subscription.canceled': subscription,
  'billing.payment.succeeded': payment(true),
  'billing.payment.failed': payment(false),
  'trading.order.submitted': order('submitted'),
  'trading.order.filled': order('filled'),
  'trading.order.rejected': order('rejected'),
  'trading.order.failed': order('failed'),
  'trading.signal.rejected': signalRejected,
  'trading.position.mismatch': positionMismatch,
  'trading.risk.limit_reached': riskLimitReached,
  'trading.exchange.keys_rejected': keysRejected,
};

export function catalogue(subject: string, body: Uint8Array | string): CatalogueResult {
  const reader = READERS[subject];
  if (!reader) return { ok: false, reason: 'unknown_subject', detail: subject };
  let data: Record<string, unknown>;
  let rendered: ReturnType<Reader>;
  try {
    const parsed: unknown = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    data = parsed as Record<string, unknown>;
    rendered = reader(data);
  } catch (err) {
    return { ok: false, reason: 'invalid_body', detail: (err as Error).message };
  }
  if (!rendered?.userId) return { ok: false, reason: 'no_user', detail: subject };
  return { ok: true, event: { ...rendered, data } };
}
