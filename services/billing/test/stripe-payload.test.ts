import {
  readCheckoutSession,
  readInvoice,
  readPaymentIntent,
  readSubscription,
  stripeEventSchema,
} from '../src/stripe/payload';

// Realistic Stripe objects, trimmed to the fields that matter plus some noise.
const PERIOD_START = 1_719_792_000; // 2024-07-01T00:00:00Z
const PERIOD_END = 1_722_470_400; // 2024-08-01T00:00:00Z
const at = (s: number) => new Date(s * 1000);

const priceObject = (id: string) => ({
  id,
  object: 'price',
  active: true,
  currency: 'usd',
  product: 'prod_QWd1bRw5mZqJ4K',
  recurring: { interval: 'month', interval_count: 1 },
  type: 'recurring',
  unit_amount: 1500,
});

/** A subscription as sent on an endpoint pinned before 2025-03-31.basil. */
function oldSubscription(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
    object: 'subscription',
    billing_cycle_anchor: PERIOD_START,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    collection_method: 'charge_automatically',
    created: PERIOD_START - 3600,
    currency: 'usd',
    current_period_end: PERIOD_END,
    current_period_start: PERIOD_START,
    customer: 'cus_QWd2Xk9mNpL0aB',
    items: {
      object: 'list',
      data: [
        {
          id: 'si_QWd2c5ZqJ0XyAb',
          object: 'subscription_item',
          created: PERIOD_START - 3600,
          metadata: {},
          plan: { id: 'price_pro_monthly', object: 'plan', amount: 1500, interval: 'month' },
          price: priceObject('price_pro_monthly'),
          quantity: 1,
          subscription: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
        },
      ],
      has_more: false,
      total_count: 1,
      url: '/v1/subscription_items?subscription=sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
    },
    latest_invoice: 'in_1PfXkR2eZvKYlo2CwGmA3Q0c',
    livemode: false,
    metadata: { user_id: 'user_42', plan: 'pro' },
    status: 'active',
    ...over,
  };
}

/** The same subscription from 2025-03-31.basil on: the period sits on each item. */
function newSubscription(over: Record<string, unknown> = {}): Record<string, unknown> {
  const old = oldSubscription();
  delete old.current_period_start;
  delete old.current_period_end;
  const items = old.items as { data: Record<string, unknown>[] };
  items.data = items.data.map((i) => {
    const { plan: _plan, ...rest } = i;
    return { ...rest, current_period_start: PERIOD_START, current_period_end: PERIOD_END };
  });
  return { ...old, ...over };
}

describe('stripeEventSchema', () => {
  const event = (over: Record<string, unknown> = {}) => ({
    id: 'evt_1PfXkS2eZvKYlo2CZ9nH0v1q',
    object: 'event',
    api_version: '2025-03-31.basil',
    created: 1_719_792_100,
    data: { object: newSubscription() },
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_abc', idempotency_key: null },
    type: 'customer.subscription.updated',
    ...over,
  });

  it('accepts a real event', () => {
    const parsed = stripeEventSchema.safeParse(event());
    expect(parsed.success).toBe(true);
    expect(parsed.data?.id).toBe('evt_1PfXkS2eZvKYlo2CZ9nH0v1q');
    expect(parsed.data?.type).toBe('customer.subscription.updated');
  });

  it('accepts an event without api_version or with null', () => {
    expect(stripeEventSchema.safeParse(event({ api_version: null })).success).toBe(true);
    const { api_version: _v, ...rest } = event();
    expect(stripeEventSchema.safeParse(rest).success).toBe(true);
  });

  it.each(['sub_1PfXkQ2eZvKYlo2C8rD3Hh7a', 'in_123', 'evt_', 'evt-123', 'EVT_123', ' evt_123', 'evt_123 ', 'evt_12;3', ''])(
    'rejects the id %p',
    (id) => {
      expect(stripeEventSchema.safeParse(event({ id })).success).toBe(false);
    },
  );

  it('rejects a missing id, type, created or data.object', () => {
    for (const key of ['id', 'type', 'created', 'data'] as const) {
      const e: Record<string, unknown> = event();
      delete e[key];
      expect(stripeEventSchema.safeParse(e).success).toBe(false);
    }
    expect(stripeEventSchema.safeParse(event({ data: {} })).success).toBe(false);
    expect(stripeEventSchema.safeParse(event({ data: { object: 'sub_123' } })).success).toBe(false);
  });

  it('rejects a wrong object, an empty type or a non-positive created', () => {
    expect(stripeEventSchema.safeParse(event({ object: 'subscription' })).success).toBe(false);
    expect(stripeEventSchema.safeParse(event({ type: '' })).success).toBe(false);
    expect(stripeEventSchema.safeParse(event({ created: 0 })).success).toBe(false);
    expect(stripeEventSchema.safeParse(event({ created: '1719792100' })).success).toBe(false);
    expect(stripeEventSchema.safeParse(event({ created: 1.5 })).success).toBe(false);
  });
});

describe('readSubscription', () => {
  it('reads the old layout (period on the subscription)', () => {
    expect(readSubscription(oldSubscription())).toEqual({
      id: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
      customerId: 'cus_QWd2Xk9mNpL0aB',
      status: 'active',
      userId: 'user_42',
      planHint: 'pro',
      priceIds: ['price_pro_monthly'],
      periodStart: at(PERIOD_START),
      periodEnd: at(PERIOD_END),
      cancelAtPeriodEnd: false,
    });
  });

  it('reads the new layout (period on the items) the same way', () => {
    const sub = newSubscription();
    expect(sub).not.toHaveProperty('current_period_end');
    expect(readSubscription(sub)).toEqual(readSubscription(oldSubscription()));
  });

  it('takes the widest span when items disagree (new layout)', () => {
    const sub = newSubscription();
    const items = sub.items as { data: Record<string, unknown>[] };
    items.data.push({
      id: 'si_second',
      object: 'subscription_item',
      price: 'price_addon_seats',
      quantity: 3,
      current_period_start: PERIOD_START - 86_400,
      current_period_end: PERIOD_END + 86_400,
    });
    const view = readSubscription(sub)!;
    expect(view.periodStart).toEqual(at(PERIOD_START - 86_400));
    expect(view.periodEnd).toEqual(at(PERIOD_END + 86_400));
    expect(view.priceIds).toEqual(['price_pro_monthly', 'price_addon_seats']);
  });

  it('prefers the subscription-level period when both are present', () => {
    const sub = newSubscription({ current_period_start: PERIOD_START + 10, current_period_end: PERIOD_END + 10 });
    const view = readSubscription(sub)!;
    expect(view.periodStart).toEqual(at(PERIOD_START + 10));
    expect(view.periodEnd).toEqual(at(PERIOD_END + 10));
  });

  it('has no period when neither layout provides one', () => {
    const sub = newSubscription();
    (sub.items as { data: Record<string, unknown>[] }).data.forEach((i) => {
      delete i.current_period_start;
      delete i.current_period_end;
    });
    const view = readSubscription(sub)!;
    expect(view.periodStart).toBeUndefined();
    expect(view.periodEnd).toBeUndefined();
  });

  it('reads an expanded customer and a string customer alike', () => {
    const expanded = oldSubscription({
      customer: { id: 'cus_QWd2Xk9mNpL0aB', object: 'customer', email: 'a@example.com', metadata: {} },
    });
    expect(readSubscription(expanded)?.customerId).toBe('cus_QWd2Xk9mNpL0aB');
    expect(readSubscription(oldSubscription())?.customerId).toBe('cus_QWd2Xk9mNpL0aB');
    expect(readSubscription(oldSubscription({ customer: null }))?.customerId).toBeUndefined();
  });

  it('reads expanded and string prices alike, falling back to the legacy plan', () => {
    const sub = oldSubscription();
    (sub.items as { data: Record<string, unknown>[] }).data = [
      { id: 'si_1', object: 'subscription_item', price: priceObject('price_a') },
      { id: 'si_2', object: 'subscription_item', price: 'price_b' },
      { id: 'si_3', object: 'subscription_item', plan: { id: 'price_c', object: 'plan' } },
      { id: 'si_4', object: 'subscription_item', plan: 'price_d' },
      { id: 'si_5', object: 'subscription_item' },
    ];
    expect(readSubscription(sub)?.priceIds).toEqual(['price_a', 'price_b', 'price_c', 'price_d']);
  });

  it('reads cancel_at_period_end only when it is true', () => {
    expect(readSubscription(oldSubscription({ cancel_at_period_end: true }))?.cancelAtPeriodEnd).toBe(true);
    expect(readSubscription(oldSubscription({ cancel_at_period_end: false }))?.cancelAtPeriodEnd).toBe(false);
    expect(readSubscription(oldSubscription({ cancel_at_period_end: 'true' }))?.cancelAtPeriodEnd).toBe(false);
    expect(readSubscription(oldSubscription({ cancel_at_period_end: undefined }))?.cancelAtPeriodEnd).toBe(false);
  });

  it('reads no user or plan hint from empty or missing metadata', () => {
    for (const metadata of [{}, null, undefined, { user_id: '' }, { user_id: 42 }]) {
      const view = readSubscription(oldSubscription({ metadata }))!;
      expect(view.userId).toBeUndefined();
      expect(view.planHint).toBeUndefined();
    }
  });

  it('tolerates missing or malformed items', () => {
    expect(readSubscription(oldSubscription({ items: undefined }))?.priceIds).toEqual([]);
    expect(readSubscription(oldSubscription({ items: { data: 'nope' } }))?.priceIds).toEqual([]);
    expect(readSubscription(oldSubscription({ items: { data: [null, 'x', 3] } }))?.priceIds).toEqual([]);
  });

  it('ignores non-numeric period values', () => {
    const view = readSubscription(oldSubscription({ current_period_start: '1719792000', current_period_end: null }))!;
    expect(view.periodStart).toBeUndefined();
    expect(view.periodEnd).toBeUndefined();
  });

  it('returns undefined without an id or a status', () => {
    expect(readSubscription(oldSubscription({ id: undefined }))).toBeUndefined();
    expect(readSubscription(oldSubscription({ id: '' }))).toBeUndefined();
    expect(readSubscription(oldSubscription({ status: undefined }))).toBeUndefined();
    expect(readSubscription(oldSubscription({ status: '' }))).toBeUndefined();
    expect(readSubscription({})).toBeUndefined();
  });
});

describe('readInvoice', () => {
  const base = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    id: 'in_1PfXkR2eZvKYlo2CwGmA3Q0c',
    object: 'invoice',
    account_country: 'US',
    amount_due: 1500,
    amount_paid: 1500,
    amount_remaining: 0,
    billing_reason: 'subscription_cycle',
    currency: 'usd',
    customer: 'cus_QWd2Xk9mNpL0aB',
    customer_email: 'a@example.com',
    lines: {
      object: 'list',
      data: [
        {
          id: 'il_1PfXkR2eZvKYlo2C',
          object: 'line_item',
          amount: 1500,
          currency: 'usd',
          period: { start: PERIOD_START, end: PERIOD_END },
        },
      ],
      has_more: false,
      total_count: 1,
    },
    metadata: {},
    status: 'paid',
    status_transitions: { finalized_at: PERIOD_START + 60, paid_at: PERIOD_START + 120, voided_at: null },
    total: 1500,
    ...over,
  });

  /** Before 2025-03-31.basil. */
  const oldInvoice = (over: Record<string, unknown> = {}) =>
    base({
      subscription: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
      subscription_details: { metadata: { user_id: 'user_42' } },
      paid: true,
      payment_intent: 'pi_3PfXkS2eZvKYlo2C1',
      charge: 'ch_3PfXkS2eZvKYlo2C1',
      ...over,
    });

  /** From 2025-03-31.basil on. */
  const newInvoice = (over: Record<string, unknown> = {}) =>
    base({
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: {
          metadata: { user_id: 'user_42' },
          subscription: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
        },
      },
      ...over,
    });

  const expected = {
    id: 'in_1PfXkR2eZvKYlo2CwGmA3Q0c',
    customerId: 'cus_QWd2Xk9mNpL0aB',
    subscriptionId: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
    userId: 'user_42',
    amount: 1500,
    currency: 'usd',
    status: 'paid',
    paidAt: at(PERIOD_START + 120),
    periodEnd: at(PERIOD_END),
  };

  it('reads the old layout (invoice.subscription)', () => {
    expect(readInvoice(oldInvoice())).toEqual(expected);
  });

  it('reads the new layout (invoice.parent.subscription_details)', () => {
    const inv = newInvoice();
    expect(inv).not.toHaveProperty('subscription');
    expect(readInvoice(inv)).toEqual(expected);
  });

  it('reads the user id from the new parent.subscription_details.metadata', () => {
    const inv = newInvoice({ metadata: {} });
    expect(readInvoice(inv)?.userId).toBe('user_42');
  });

  it('reads an expanded subscription in either layout', () => {
    const sub = oldSubscription();
    expect(readInvoice(oldInvoice({ subscription: sub }))?.subscriptionId).toBe('sub_1PfXkQ2eZvKYlo2C8rD3Hh7a');
    const inv = newInvoice();
    ((inv.parent as Record<string, unknown>).subscription_details as Record<string, unknown>).subscription = sub;
    expect(readInvoice(inv)?.subscriptionId).toBe('sub_1PfXkQ2eZvKYlo2C8rD3Hh7a');
  });

  it('reads an expanded customer', () => {
    expect(readInvoice(newInvoice({ customer: { id: 'cus_X', object: 'customer' } }))?.customerId).toBe('cus_X');
  });

  it('prefers the subscription metadata over the invoice metadata for the user id', () => {
    expect(readInvoice(newInvoice({ metadata: { user_id: 'user_other' } }))?.userId).toBe('user_42');
    expect(readInvoice(oldInvoice({ metadata: { user_id: 'user_other' } }))?.userId).toBe('user_42');
  });

  it('falls back to the invoice metadata for the user id', () => {
    const inv = oldInvoice({ subscription_details: { metadata: {} }, metadata: { user_id: 'user_7' } });
    expect(readInvoice(inv)?.userId).toBe('user_7');
    const inv2 = newInvoice({ metadata: { user_id: 'user_8' } });
    ((inv2.parent as Record<string, unknown>).subscription_details as Record<string, unknown>).metadata = {};
    expect(readInvoice(inv2)?.userId).toBe('user_8');
  });

  it('reads a one-off invoice (no subscription) in the new layout', () => {
    const inv = base({ parent: null, billing_reason: 'manual', metadata: { user_id: 'user_9' } });
    const view = readInvoice(inv)!;
    expect(view.subscriptionId).toBeUndefined();
    expect(view.userId).toBe('user_9');
  });

  it('reads a quote-parented invoice as having no subscription', () => {
    const inv = base({ parent: { type: 'quote_details', quote_details: { quote: 'qt_1' }, subscription_details: null } });
    expect(readInvoice(inv)?.subscriptionId).toBeUndefined();
  });

  it('takes the latest line period end', () => {
    const inv = newInvoice();
    (inv.lines as { data: Record<string, unknown>[] }).data.push(
      { id: 'il_2', object: 'line_item', period: { start: PERIOD_START, end: PERIOD_END + 500 } },
      { id: 'il_3', object: 'line_item', period: { start: PERIOD_START } },
      { id: 'il_4', object: 'line_item' },
    );
    expect(readInvoice(inv)?.periodEnd).toEqual(at(PERIOD_END + 500));
  });

  it('has no period end or paid time when they are missing', () => {
    const view = readInvoice(newInvoice({ lines: { object: 'list', data: [] }, status_transitions: { paid_at: null } }))!;
    expect(view.periodEnd).toBeUndefined();
    expect(view.paidAt).toBeUndefined();
  });

  it('reads the amount from amount_paid, else amount_due, else total, else 0', () => {
    expect(readInvoice(base({ amount_paid: 1200, amount_due: 1500, total: 1800 }))?.amount).toBe(1200);
    expect(readInvoice(base({ amount_paid: undefined, amount_due: 1500, total: 1800 }))?.amount).toBe(1500);
    expect(readInvoice(base({ amount_paid: undefined, amount_due: undefined, total: 1800 }))?.amount).toBe(1800);
    expect(readInvoice(base({ amount_paid: undefined, amount_due: undefined, total: undefined }))?.amount).toBe(0);
  });

  it('returns undefined without an id', () => {
    expect(readInvoice(newInvoice({ id: undefined }))).toBeUndefined();
    expect(readInvoice(newInvoice({ id: '' }))).toBeUndefined();
  });

  it('defaults currency to "" and status to undefined', () => {
    const view = readInvoice({ id: 'in_1' })!;
    expect(view).toEqual({
      id: 'in_1',
      customerId: undefined,
      subscriptionId: undefined,
      userId: undefined,
      amount: 0,
      currency: '',
      status: undefined,
      paidAt: undefined,
      periodEnd: undefined,
    });
  });
});

describe('readCheckoutSession', () => {
  const session = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    id: 'cs_test_a1b2c3d4e5',
    object: 'checkout.session',
    client_reference_id: 'user_42',
    customer: 'cus_QWd2Xk9mNpL0aB',
    metadata: { user_id: 'user_from_metadata' },
    mode: 'subscription',
    payment_status: 'paid',
    status: 'complete',
    subscription: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
    url: null,
    ...over,
  });

  it('reads a subscription checkout', () => {
    expect(readCheckoutSession(session())).toEqual({
      id: 'cs_test_a1b2c3d4e5',
      mode: 'subscription',
      userId: 'user_42',
      customerId: 'cus_QWd2Xk9mNpL0aB',
      subscriptionId: 'sub_1PfXkQ2eZvKYlo2C8rD3Hh7a',
    });
  });

  it('prefers client_reference_id over metadata.user_id', () => {
    expect(readCheckoutSession(session())?.userId).toBe('user_42');
  });

  it.each([null, undefined, ''])('falls back to metadata.user_id when client_reference_id is %p', (client_reference_id) => {
    expect(readCheckoutSession(session({ client_reference_id }))?.userId).toBe('user_from_metadata');
  });

  it('has no user when neither is set', () => {
    expect(readCheckoutSession(session({ client_reference_id: null, metadata: {} }))?.userId).toBeUndefined();
  });

  it('reads expanded customer and subscription', () => {
    const view = readCheckoutSession(
      session({ customer: { id: 'cus_X', object: 'customer' }, subscription: oldSubscription() }),
    )!;
    expect(view.customerId).toBe('cus_X');
    expect(view.subscriptionId).toBe('sub_1PfXkQ2eZvKYlo2C8rD3Hh7a');
  });

  it('reads a payment-mode checkout without subscription or customer', () => {
    const view = readCheckoutSession(session({ mode: 'payment', subscription: null, customer: null }))!;
    expect(view.mode).toBe('payment');
    expect(view.subscriptionId).toBeUndefined();
    expect(view.customerId).toBeUndefined();
  });

  it('returns undefined without an id', () => {
    expect(readCheckoutSession(session({ id: undefined }))).toBeUndefined();
  });
});

describe('readPaymentIntent', () => {
  const intent = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    id: 'pi_3PfXkS2eZvKYlo2C1aBcDeFg',
    object: 'payment_intent',
    amount: 1500,
    amount_capturable: 0,
    amount_received: 1500,
    created: 1_719_792_200,
    currency: 'usd',
    customer: 'cus_QWd2Xk9mNpL0aB',
    latest_charge: 'ch_3PfXkS2eZvKYlo2C1',
    livemode: false,
    metadata: { user_id: 'user_42' },
    payment_method: 'pm_1PfXkS2eZvKYlo2C',
    status: 'succeeded',
    ...over,
  });

  it('reads a succeeded one-time payment', () => {
    expect(readPaymentIntent(intent())).toEqual({
      id: 'pi_3PfXkS2eZvKYlo2C1aBcDeFg',
      userId: 'user_42',
      customerId: 'cus_QWd2Xk9mNpL0aB',
      amount: 1500,
      currency: 'usd',
      status: 'succeeded',
      invoiceId: undefined,
      createdAt: at(1_719_792_200),
    });
  });

  it('prefers amount_received over amount', () => {
    expect(readPaymentIntent(intent({ amount: 2000, amount_received: 1500 }))?.amount).toBe(1500);
    expect(readPaymentIntent(intent({ amount_received: undefined }))?.amount).toBe(1500);
    expect(readPaymentIntent(intent({ amount_received: undefined, amount: undefined }))?.amount).toBe(0);
  });

  it('reads the invoice of an older-API intent that pays a subscription invoice', () => {
    expect(readPaymentIntent(intent({ invoice: 'in_1PfXkR2eZvKYlo2CwGmA3Q0c' }))?.invoiceId).toBe('in_1PfXkR2eZvKYlo2CwGmA3Q0c');
    expect(readPaymentIntent(intent({ invoice: { id: 'in_X', object: 'invoice' } }))?.invoiceId).toBe('in_X');
    expect(readPaymentIntent(intent({ invoice: null }))?.invoiceId).toBeUndefined();
  });

  it('reads an expanded customer and no customer', () => {
    expect(readPaymentIntent(intent({ customer: { id: 'cus_X', object: 'customer' } }))?.customerId).toBe('cus_X');
    expect(readPaymentIntent(intent({ customer: null }))?.customerId).toBeUndefined();
  });

  it('has no user without metadata.user_id', () => {
    expect(readPaymentIntent(intent({ metadata: {} }))?.userId).toBeUndefined();
  });

  it('returns undefined without an id', () => {
    expect(readPaymentIntent(intent({ id: undefined }))).toBeUndefined();
  });
});
