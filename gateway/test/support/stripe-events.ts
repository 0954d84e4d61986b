// Stripe objects shaped as the API sends them (fields trimmed to what matters), in the
// layout before and after API version 2025-03-31.basil.

let seq = 0;
export const nextId = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++seq).toString(36)}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);
const DAY = 24 * 60 * 60;

export function event(type: string, object: Record<string, unknown>, created = nowSeconds(), apiVersion = '2025-09-30.clover') {
  return {
    id: nextId('evt'),
    object: 'event',
    api_version: apiVersion,
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export interface SubOpts {
  id?: string;
  customer?: string;
  status?: string;
  price?: string;
  userId?: string;
  start?: number;
  end?: number;
  cancelAtPeriodEnd?: boolean;
}

/** A subscription as sent from 2025-03-31.basil on: the period lives on each item. */
export function subscriptionNew(o: SubOpts = {}) {
  const start = o.start ?? nowSeconds();
  const end = o.end ?? start + 30 * DAY;
  return {
    id: o.id ?? nextId('sub'),
    object: 'subscription',
    customer: o.customer ?? nextId('cus'),
    status: o.status ?? 'active',
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    metadata: o.userId ? { user_id: o.userId, plan: 'pro' } : {},
    items: {
      object: 'list',
      data: [
        {
          id: nextId('si'),
          object: 'subscription_item',
          current_period_start: start,
          current_period_end: end,
          price: { id: o.price ?? 'price_pro_monthly', object: 'price', currency: 'usd', unit_amount: 1500 },
          quantity: 1,
        },
      ],
    },
  };
}

/** The same subscription as sent before 2025-03-31.basil: the period lives on the subscription. */
export function subscriptionOld(o: SubOpts = {}) {
  const start = o.start ?? nowSeconds();
  const end = o.end ?? start + 30 * DAY;
  const sub = subscriptionNew(o);
  const item = sub.items.data[0]!;
  return {
    ...sub,
    current_period_start: start,
    current_period_end: end,
    items: { ...sub.items, data: [{ id: item.id, object: item.object, price: item.price, quantity: 1 }] },
  };
}

export function invoiceNew(o: { subscription: string; customer: string; userId?: string; amount?: number; paid: boolean; periodEnd?: number }) {
  return {
    id: nextId('in'),
    object: 'invoice',
    customer: o.customer,
    currency: 'usd',
    amount_due: o.amount ?? 1500,
    amount_paid: o.paid ? (o.amount ?? 1500) : 0,
    status: o.paid ? 'paid' : 'open',
    status_transitions: { paid_at: o.paid ? nowSeconds() : null },
    parent: {
      type: 'subscription_details',
      subscription_details: { subscription: o.subscription, metadata: o.userId ? { user_id: o.userId } : {} },
    },
    lines: { object: 'list', data: [{ id: nextId('il'), period: { start: nowSeconds(), end: o.periodEnd ?? nowSeconds() + 30 * DAY } }] },
  };
}

export function invoiceOld(o: { subscription: string; customer: string; amount?: number; paid: boolean }) {
  const inv = invoiceNew(o) as Record<string, unknown>;
  delete inv.parent;
  return { ...inv, subscription: o.subscription };
}

/** A completed subscription-mode Checkout Session carrying our user id, as checkout creates it. */
export function checkoutSession(o: { userId: string; customer: string; subscription?: string }) {
  return {
    id: nextId('cs'),
    object: 'checkout.session',
    mode: 'subscription',
    client_reference_id: o.userId,
    customer: o.customer,
    ...(o.subscription ? { subscription: o.subscription } : {}),
    metadata: { user_id: o.userId, plan: 'pro' },
  };
}
