import { z } from 'zod';
import { num, obj, str, type Obj } from '../json-fields';

// Stripe payloads follow the webhook endpoint's API version. These readers accept both
// layouts: before 2025-03-31.basil the period sits on the subscription and an invoice
// names `subscription`; from then on the period sits on each subscription item and the
// invoice's subscription is `parent.subscription_details.subscription`.

export const stripeEventSchema = z.object({
  id: z.string().regex(/^evt_\w+$/),
  object: z.literal('event').optional(),
  type: z.string().min(1),
  created: z.number().int().positive(),
  livemode: z.boolean().optional(),
  api_version: z.string().nullish(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEvent = z.infer<typeof stripeEventSchema>;

const list = (v: unknown): Obj[] => {
  const data = obj(v)?.data;
  return Array.isArray(data) ? (data.filter((d) => obj(d)) as Obj[]) : [];
};
/** An id field may hold the id or, when expanded, the object. */
const idOf = (v: unknown): string | undefined => str(v) ?? str(obj(v)?.id);
const dateOf = (seconds: number | undefined): Date | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000);
const userIdIn = (metadata: unknown): string | undefined => str(obj(metadata)?.user_id);

export interface SubscriptionView {
  id: string;
  customerId?: string;
  status: string;
  userId?: string;
  planHint?: string;
  priceIds: string[];
  periodStart?: Date;
  periodEnd?: Date;
  cancelAtPeriodEnd: boolean;
}

export function readSubscription(o: Obj): SubscriptionView | undefined {
  const id = str(o.id);
  const status = str(o.status);
  if (!id || !status) return undefined;
  const items = list(o.items);
  // New layout: one period per item; they agree for a single-plan subscription, and
  // the widest span is the safe reading when they do not.
  const starts = items.map((i) => num(i.current_period_start)).filter((n): n is number => n !== undefined);
  const ends = items.map((i) => num(i.current_period_end)).filter((n): n is number => n !== undefined);
  const periodStart = num(o.current_period_start) ?? (starts.length ? Math.min(...starts) : undefined);
  const periodEnd = num(o.current_period_end) ?? (ends.length ? Math.max(...ends) : undefined);
  return {
    id,
    customerId: idOf(o.customer),
    status,
    userId: userIdIn(o.metadata),
    planHint: str(obj(o.metadata)?.plan),
    priceIds: items
      .map((i) => idOf(i.price) ?? idOf(i.plan))
      .filter((p): p is string => p !== undefined),
    periodStart: dateOf(periodStart),
    periodEnd: dateOf(periodEnd),
    cancelAtPeriodEnd: o.cancel_at_period_end === true,
  };
}

export interface InvoiceView {
  id: string;
  customerId?: string;
  subscriptionId?: string;
  userId?: string;
  amount: number;
  currency: string;
  status?: string;
  paidAt?: Date;
  periodEnd?: Date;
}

export function readInvoice(o: Obj): InvoiceView | undefined {
  const id = str(o.id);
  if (!id) return undefined;
  const details = obj(obj(o.parent)?.subscription_details);
  // Line periods: for a subscription invoice, the service period the payment covers.
  const lineEnds = list(o.lines)
    .map((l) => num(obj(l.period)?.end))
    .filter((n): n is number => n !== undefined);
  return {
    id,
    customerId: idOf(o.customer),
    subscriptionId: idOf(details?.subscription) ?? idOf(o.subscription),
    userId:
      userIdIn(details?.metadata) ??
      userIdIn(obj(o.subscription_details)?.metadata) ??
      userIdIn(o.metadata),
    // What was paid, or for an unpaid invoice what is owed.
    amount: num(o.amount_paid) || num(o.amount_due) || num(o.total) || 0,
    currency: str(o.currency) ?? '',
    status: str(o.status),
    paidAt: dateOf(num(obj(o.status_transitions)?.paid_at)),
    periodEnd: dateOf(lineEnds.length ? Math.max(...lineEnds) : undefined),
  };
}

export interface CheckoutSessionView {
  id: string;
  mode?: string;
  userId?: string;
  customerId?: string;
  subscriptionId?: string;
}

export function readCheckoutSession(o: Obj): CheckoutSessionView | undefined {
  const id = str(o.id);
  if (!id) return undefined;
  return {
    id,
    mode: str(o.mode),
    userId: str(o.client_reference_id) ?? userIdIn(o.metadata),
    customerId: idOf(o.customer),
    subscriptionId: idOf(o.subscription),
  };
}

export interface PaymentIntentView {
  id: string;
  userId?: string;
  customerId?: string;
  amount: number;
  currency: string;
  status?: string;
  /** Set on older API versions when the intent pays a subscription invoice. */
  invoiceId?: string;
  createdAt?: Date;
}

export function readPaymentIntent(o: Obj): PaymentIntentView | undefined {
  const id = str(o.id);
  if (!id) return undefined;
  return {
    id,
    userId: userIdIn(o.metadata),
    customerId: idOf(o.customer),
    amount: num(o.amount_received) ?? num(o.amount) ?? 0,
    currency: str(o.currency) ?? '',
    status: str(o.status),
    invoiceId: idOf(o.invoice),
    createdAt: dateOf(num(o.created)),
  };
}
