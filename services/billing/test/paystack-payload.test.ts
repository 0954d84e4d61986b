import { paystackEventKey } from '@tbot/common';

const eventKey = (e: { event: string; data: unknown }) => paystackEventKey(e, Buffer.from(JSON.stringify(e)));
import {
  checkCharge,
  paystackEventSchema,
  readCharge,
  readInvoice,
  readMetadata,
  readSubscription,
  type ChargeView,
} from '../src/paystack/payload';
import { PlanCatalog } from '../src/plans';

const catalog = new PlanCatalog([
  { id: 'free', features: [] },
  {
    id: 'pro',
    features: ['tradingview_webhooks', 'auto_trading'],
    stripe: { price_ids: ['price_pro_monthly'] },
    paystack: { plan_code: 'PLN_pro_monthly', amount: 1_500_000, currency: 'NGN', interval_days: 30 },
  },
  {
    id: 'pass',
    features: ['auto_trading'],
    paystack: { amount: 2_000_000, currency: 'ngn', interval_days: 30 },
  },
  { id: 'stripe_only', features: ['x'], stripe: { price_ids: ['price_stripe_only'] } },
]);

/** A charge.success `data` as Paystack sends it (trimmed). */
function chargeData(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 302961,
    domain: 'live',
    status: 'success',
    reference: 'qTPrJoy9Bx',
    amount: 1_500_000,
    message: null,
    gateway_response: 'Approved by Financial Institution',
    paid_at: '2024-07-01T10:15:19.000Z',
    created_at: '2024-07-01T10:14:56.000Z',
    channel: 'card',
    currency: 'NGN',
    ip_address: '41.242.49.37',
    metadata: 0,
    fees: 22_500,
    customer: {
      id: 68324,
      first_name: 'Ada',
      last_name: 'Obi',
      email: 'Ada.Obi@Example.COM',
      customer_code: 'CUS_qo38as2hpsgk2r0',
      phone: null,
      metadata: null,
      risk_action: 'default',
    },
    authorization: {
      authorization_code: 'AUTH_f5rnfq9p',
      bin: '539999',
      last4: '8877',
      exp_month: '08',
      exp_year: '2030',
      card_type: 'mastercard DEBIT',
      bank: 'Guaranty Trust Bank',
      country_code: 'NG',
      brand: 'mastercard',
      reusable: true,
    },
    plan: {},
    ...over,
  };
}

const charge = (over: Partial<ChargeView> = {}): ChargeView => ({
  reference: 'ref_1',
  status: 'success',
  amount: 1_500_000,
  currency: 'NGN',
  planCode: 'PLN_pro_monthly',
  customer: {},
  ...over,
});

describe('paystackEventSchema', () => {
  it('accepts { event, data }', () => {
    expect(paystackEventSchema.safeParse({ event: 'charge.success', data: chargeData() }).success).toBe(true);
  });
  it('rejects a missing event, an empty event or non-object data', () => {
    expect(paystackEventSchema.safeParse({ data: {} }).success).toBe(false);
    expect(paystackEventSchema.safeParse({ event: '', data: {} }).success).toBe(false);
    expect(paystackEventSchema.safeParse({ event: 'charge.success', data: 'x' }).success).toBe(false);
    expect(paystackEventSchema.safeParse({ event: 'charge.success' }).success).toBe(false);
  });
});

describe('readMetadata', () => {
  it('reads 0 as empty', () => {
    expect(readMetadata(0)).toEqual({});
  });
  it('reads "" as empty', () => {
    expect(readMetadata('')).toEqual({});
  });
  it('reads null, undefined, numbers, booleans and arrays as empty', () => {
    for (const v of [null, undefined, 1, true, false, [], [{ user_id: 'u' }]]) expect(readMetadata(v)).toEqual({});
  });
  it('reads an object as is', () => {
    const m = { user_id: 'user_42', plan: 'pro', custom_fields: [{ display_name: 'Plan', value: 'pro' }] };
    expect(readMetadata(m)).toEqual(m);
  });
  it('reads a JSON string', () => {
    expect(readMetadata('{"user_id":"user_42","plan":"pro"}')).toEqual({ user_id: 'user_42', plan: 'pro' });
  });
  it('reads a JSON string with surrounding whitespace', () => {
    expect(readMetadata('  \n{"user_id":"user_42"}\n ')).toEqual({ user_id: 'user_42' });
  });
  it('reads a bad JSON string as empty instead of throwing', () => {
    expect(() => readMetadata('{"user_id":')).not.toThrow();
    expect(readMetadata('{"user_id":')).toEqual({});
    expect(readMetadata('{user_id: "x"}')).toEqual({});
  });
  it('reads non-object strings as empty', () => {
    expect(readMetadata('user_42')).toEqual({});
    expect(readMetadata('[{"user_id":"u"}]')).toEqual({});
    expect(readMetadata('0')).toEqual({});
    expect(readMetadata('null')).toEqual({});
  });
});

describe('readCharge', () => {
  it('reads a charge.success payload with metadata 0 and plan {}', () => {
    expect(readCharge(chargeData())).toEqual({
      reference: 'qTPrJoy9Bx',
      status: 'success',
      amount: 1_500_000,
      currency: 'NGN',
      paidAt: new Date('2024-07-01T10:15:19.000Z'),
      userId: undefined,
      planHint: undefined,
      planCode: undefined,
      customer: { email: 'ada.obi@example.com', customerCode: 'CUS_qo38as2hpsgk2r0' },
    });
  });

  it.each([
    ['an object', { user_id: 'user_42', plan: 'pro' }],
    ['a JSON string', '{"user_id":"user_42","plan":"pro"}'],
  ])('reads user and plan hint from metadata as %s', (_label, metadata) => {
    const view = readCharge(chargeData({ metadata }))!;
    expect(view.userId).toBe('user_42');
    expect(view.planHint).toBe('pro');
  });

  it.each([0, '', null, '{broken'])('reads no user from metadata %p', (metadata) => {
    const view = readCharge(chargeData({ metadata }))!;
    expect(view.userId).toBeUndefined();
    expect(view.planHint).toBeUndefined();
  });

  it('reads the plan code from plan as {}, null, a string or an object', () => {
    expect(readCharge(chargeData({ plan: {} }))?.planCode).toBeUndefined();
    expect(readCharge(chargeData({ plan: null }))?.planCode).toBeUndefined();
    expect(readCharge(chargeData({ plan: '' }))?.planCode).toBeUndefined();
    expect(readCharge(chargeData({ plan: 'PLN_pro_monthly' }))?.planCode).toBe('PLN_pro_monthly');
    expect(
      readCharge(
        chargeData({
          plan: { id: 9876, name: 'Pro monthly', plan_code: 'PLN_pro_monthly', interval: 'monthly', amount: 1_500_000, currency: 'NGN' },
        }),
      )?.planCode,
    ).toBe('PLN_pro_monthly');
  });

  it('falls back to plan_object (verify answers) when plan names no code', () => {
    expect(readCharge(chargeData({ plan: null, plan_object: { plan_code: 'PLN_pro_monthly' } }))?.planCode).toBe('PLN_pro_monthly');
    expect(readCharge(chargeData({ plan: {}, plan_object: {} }))?.planCode).toBeUndefined();
  });

  it('reads the amount as an integer from a number or a numeric string', () => {
    expect(readCharge(chargeData({ amount: '1500000' }))?.amount).toBe(1_500_000);
    expect(readCharge(chargeData({ amount: 0 }))?.amount).toBe(0);
  });

  it('returns undefined without a reference or an amount', () => {
    expect(readCharge(chargeData({ reference: undefined }))).toBeUndefined();
    expect(readCharge(chargeData({ reference: '' }))).toBeUndefined();
    expect(readCharge(chargeData({ amount: undefined }))).toBeUndefined();
    expect(readCharge(chargeData({ amount: 'lots' }))).toBeUndefined();
    expect(readCharge(chargeData({ amount: '' }))).toBeUndefined();
    expect(readCharge(chargeData({ amount: null }))).toBeUndefined();
  });

  it('upper-cases the currency', () => {
    expect(readCharge(chargeData({ currency: 'ghs' }))?.currency).toBe('GHS');
    expect(readCharge(chargeData({ currency: undefined }))?.currency).toBe('');
  });

  it('reads the status, or "unknown"', () => {
    expect(readCharge(chargeData({ status: 'abandoned' }))?.status).toBe('abandoned');
    expect(readCharge(chargeData({ status: undefined }))?.status).toBe('unknown');
  });

  it('reads paid_at, else paidAt, else transaction_date', () => {
    expect(readCharge(chargeData({ paid_at: undefined, paidAt: '2024-07-02T00:00:00.000Z' }))?.paidAt).toEqual(
      new Date('2024-07-02T00:00:00.000Z'),
    );
    expect(
      readCharge(chargeData({ paid_at: null, paidAt: null, transaction_date: '2024-07-03T00:00:00.000Z' }))?.paidAt,
    ).toEqual(new Date('2024-07-03T00:00:00.000Z'));
    expect(readCharge(chargeData({ paid_at: 'not a date' }))?.paidAt).toBeUndefined();
    expect(readCharge(chargeData({ paid_at: undefined }))?.paidAt).toBeUndefined();
  });

  it('reads a missing customer as empty', () => {
    expect(readCharge(chargeData({ customer: undefined }))?.customer).toEqual({ email: undefined, customerCode: undefined });
  });
});

describe('checkCharge', () => {
  it('accepts a successful charge for the plan price in the plan currency', () => {
    const result = checkCharge(charge(), catalog);
    expect(result.ok).toBe(true);
    expect(result.plan?.id).toBe('pro');
  });

  it('accepts an amount above the price', () => {
    expect(checkCharge(charge({ amount: 1_500_001 }), catalog).ok).toBe(true);
  });

  it('finds the plan by the metadata plan hint for a one-off payment', () => {
    const result = checkCharge(charge({ planCode: undefined, planHint: 'pass', amount: 2_000_000 }), catalog);
    expect(result).toEqual({ ok: true, plan: catalog.get('pass') });
  });

  it('compares currencies case-insensitively with the plan', () => {
    // The plan lists "ngn"; readCharge upper-cases the charge's currency.
    expect(checkCharge(charge({ planCode: undefined, planHint: 'pass', amount: 2_000_000, currency: 'NGN' }), catalog).ok).toBe(true);
  });

  it('rejects a wrong currency, naming both', () => {
    const result = checkCharge(charge({ currency: 'GHS' }), catalog);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/GHS/);
    expect(result.reason).toMatch(/NGN/);
    expect(result.plan?.id).toBe('pro');
  });

  it('rejects a missing currency', () => {
    expect(checkCharge(charge({ currency: '' }), catalog).ok).toBe(false);
  });

  it('rejects an amount one subunit below the price', () => {
    const result = checkCharge(charge({ amount: 1_499_999 }), catalog);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toMatch(/1499999/);
    expect(result.reason).toMatch(/1500000/);
  });

  it('rejects an amount in main units instead of subunits', () => {
    expect(checkCharge(charge({ amount: 15_000 }), catalog).ok).toBe(false);
  });

  it.each(['failed', 'abandoned', 'pending', 'reversed', 'unknown', 'ongoing'])('rejects a %s charge', (status) => {
    const result = checkCharge(charge({ status }), catalog);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain(status);
    expect(result.plan?.id).toBe('pro');
  });

  it('rejects an unknown plan code and no hint', () => {
    const result = checkCharge(charge({ planCode: 'PLN_unknown' }), catalog);
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/no known plan/) });
  });

  it('rejects an unknown plan hint', () => {
    expect(checkCharge(charge({ planCode: undefined, planHint: 'gold' }), catalog).ok).toBe(false);
    expect(checkCharge(charge({ planCode: undefined, planHint: undefined }), catalog).ok).toBe(false);
  });

  it('rejects a plan that is not sold through Paystack', () => {
    for (const planHint of ['free', 'stripe_only']) {
      const result = checkCharge(charge({ planCode: undefined, planHint }), catalog);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.reason).toMatch(/Paystack/);
    }
  });

  it('lets a known plan code decide over the hint', () => {
    // Code says pro (1,500,000), hint says pass (2,000,000): the price checked is pro's.
    const result = checkCharge(charge({ planCode: 'PLN_pro_monthly', planHint: 'pass', amount: 1_500_000 }), catalog);
    expect(result.ok).toBe(true);
    expect(result.plan?.id).toBe('pro');
  });

  it('checks the price of the hinted plan when the code is unknown', () => {
    const result = checkCharge(charge({ planCode: 'PLN_unknown', planHint: 'pass', amount: 1_500_000 }), catalog);
    expect(result.ok).toBe(false);
    expect(result.plan?.id).toBe('pass');
  });

  it('works end to end from a charge.success payload', () => {
    const paid = readCharge(chargeData({ metadata: '{"user_id":"user_42","plan":"pass"}', amount: 2_000_000 }))!;
    expect(checkCharge(paid, catalog)).toEqual({ ok: true, plan: catalog.get('pass') });
    const sub = readCharge(chargeData({ plan: { plan_code: 'PLN_pro_monthly' }, currency: 'ngn' }))!;
    expect(checkCharge(sub, catalog).ok).toBe(true);
    const cheap = readCharge(chargeData({ plan: 'PLN_pro_monthly', amount: '100' }))!;
    expect(checkCharge(cheap, catalog).ok).toBe(false);
  });
});

describe('readInvoice', () => {
  /** invoice.update `data` (trimmed from Paystack's sample). */
  const invoiceData = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    domain: 'test',
    invoice_code: 'INV_kw5t1l6iyk1v5ho',
    amount: 1_500_000,
    period_start: '2024-07-01T00:00:00.000Z',
    period_end: '2024-07-31T23:59:59.000Z',
    status: 'success',
    paid: true,
    paid_at: '2024-07-01T10:25:27.000Z',
    description: null,
    authorization: { authorization_code: 'AUTH_f5rnfq9p', reusable: true },
    subscription: {
      status: 'active',
      subscription_code: 'SUB_vsyqdmlzble3uii',
      email_token: 'd7gofp6yppn3qz7',
      amount: 1_500_000,
      cron_expression: '0 0 1 * *',
      next_payment_date: '2024-08-01T00:00:00.000Z',
      open_invoice: null,
    },
    customer: { id: 68324, email: 'Ada.Obi@Example.COM', customer_code: 'CUS_qo38as2hpsgk2r0' },
    transaction: { reference: '9cfbae6e-bbf3-5b41-8aef-d72c1a17650g', status: 'success', amount: 1_500_000, currency: 'NGN' },
    created_at: '2024-07-01T10:00:02.000Z',
    ...over,
  });

  it('reads a paid invoice', () => {
    expect(readInvoice(invoiceData())).toEqual({
      invoiceCode: 'INV_kw5t1l6iyk1v5ho',
      status: 'success',
      paid: true,
      amount: 1_500_000,
      currency: 'NGN',
      paidAt: new Date('2024-07-01T10:25:27.000Z'),
      periodEnd: new Date('2024-07-31T23:59:59.000Z'),
      subscriptionCode: 'SUB_vsyqdmlzble3uii',
      nextPaymentDate: new Date('2024-08-01T00:00:00.000Z'),
      reference: '9cfbae6e-bbf3-5b41-8aef-d72c1a17650g',
      at: new Date('2024-07-01T10:25:27.000Z'),
      customer: { email: 'ada.obi@example.com', customerCode: 'CUS_qo38as2hpsgk2r0' },
    });
  });

  it.each([
    ['paid: true', { paid: true, status: 'pending' }, true],
    ['paid: 1', { paid: 1, status: 'pending' }, true],
    ['status success', { paid: false, status: 'success' }, true],
    ['status success, paid missing', { paid: undefined, status: 'success' }, true],
    ['pending, unpaid', { paid: false, status: 'pending' }, false],
    ['paid: 0', { paid: 0, status: 'pending' }, false],
    ['failed', { paid: false, status: 'failed' }, false],
    ['nothing', { paid: undefined, status: undefined }, false],
  ])('detects payment: %s', (_label, over, paid) => {
    expect(readInvoice(invoiceData(over))?.paid).toBe(paid);
  });

  it('takes amount and currency from the transaction when the invoice lacks them', () => {
    const view = readInvoice(invoiceData({ amount: undefined, currency: undefined }))!;
    expect(view.amount).toBe(1_500_000);
    expect(view.currency).toBe('NGN');
  });

  it('defaults amount to 0 and currency to "" when nothing says', () => {
    const view = readInvoice(invoiceData({ amount: undefined, transaction: {} }))!;
    expect(view.amount).toBe(0);
    expect(view.currency).toBe('');
    expect(view.reference).toBeUndefined();
  });

  it('reads an invoice without a subscription object', () => {
    const view = readInvoice(invoiceData({ subscription: 'SUB_x' }))!;
    expect(view.subscriptionCode).toBeUndefined();
    expect(view.nextPaymentDate).toBeUndefined();
  });

  it('dates its change by updated_at first, then paid_at, then created_at', () => {
    expect(readInvoice(invoiceData({ updated_at: '2024-07-05T00:00:00.000Z' }))?.at).toEqual(new Date('2024-07-05T00:00:00.000Z'));
    expect(readInvoice(invoiceData({ paid_at: null }))?.at).toEqual(new Date('2024-07-01T10:00:02.000Z'));
  });

  it('returns undefined without an invoice code', () => {
    expect(readInvoice(invoiceData({ invoice_code: undefined }))).toBeUndefined();
    expect(readInvoice(invoiceData({ invoice_code: '' }))).toBeUndefined();
  });
});

describe('readSubscription', () => {
  const subscriptionData = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    domain: 'test',
    status: 'active',
    subscription_code: 'SUB_vsyqdmlzble3uii',
    amount: 1_500_000,
    cron_expression: '0 0 1 * *',
    next_payment_date: '2024-08-01T00:00:01.000Z',
    email_token: 'd7gofp6yppn3qz7',
    createdAt: '2024-07-01T10:11:08.000Z',
    plan: { name: 'Pro monthly', plan_code: 'PLN_pro_monthly', interval: 'monthly', amount: 1_500_000, currency: 'NGN' },
    authorization: { authorization_code: 'AUTH_f5rnfq9p' },
    customer: { first_name: 'Ada', email: 'ADA@example.com', customer_code: 'CUS_qo38as2hpsgk2r0' },
    ...over,
  });

  it('reads subscription.create', () => {
    expect(readSubscription(subscriptionData())).toEqual({
      subscriptionCode: 'SUB_vsyqdmlzble3uii',
      status: 'active',
      planCode: 'PLN_pro_monthly',
      nextPaymentDate: new Date('2024-08-01T00:00:01.000Z'),
      at: new Date('2024-07-01T10:11:08.000Z'),
      customer: { email: 'ada@example.com', customerCode: 'CUS_qo38as2hpsgk2r0' },
    });
  });

  it('prefers updatedAt / updated_at over creation dates', () => {
    expect(readSubscription(subscriptionData({ updatedAt: '2024-07-10T00:00:00.000Z' }))?.at).toEqual(
      new Date('2024-07-10T00:00:00.000Z'),
    );
    expect(readSubscription(subscriptionData({ updated_at: '2024-07-11T00:00:00.000Z' }))?.at).toEqual(
      new Date('2024-07-11T00:00:00.000Z'),
    );
  });

  it('reads a plan given as a code, {} or null', () => {
    expect(readSubscription(subscriptionData({ plan: 'PLN_pro_monthly' }))?.planCode).toBe('PLN_pro_monthly');
    expect(readSubscription(subscriptionData({ plan: {} }))?.planCode).toBeUndefined();
    expect(readSubscription(subscriptionData({ plan: null }))?.planCode).toBeUndefined();
  });

  it('reads a disabled subscription without a next payment date', () => {
    const view = readSubscription(subscriptionData({ status: 'complete', next_payment_date: null }))!;
    expect(view.status).toBe('complete');
    expect(view.nextPaymentDate).toBeUndefined();
  });

  it('returns undefined without a subscription code', () => {
    expect(readSubscription(subscriptionData({ subscription_code: undefined }))).toBeUndefined();
    expect(readSubscription(subscriptionData({ subscription_code: '' }))).toBeUndefined();
  });
});

describe('eventKey', () => {
  it('keys charge.success by reference', () => {
    expect(eventKey({ event: 'charge.success', data: chargeData() })).toBe('paystack:charge:qTPrJoy9Bx');
  });

  it('keys the same charge the same way whatever else differs', () => {
    const a = eventKey({ event: 'charge.success', data: chargeData({ id: 1, paid_at: '2024-07-01T10:15:19.000Z' }) });
    const b = eventKey({ event: 'charge.success', data: chargeData({ id: 2, paid_at: '2024-07-01T10:16:00.000Z', metadata: '' }) });
    expect(a).toBe(b);
  });

  it('keys different charges differently', () => {
    expect(eventKey({ event: 'charge.success', data: chargeData({ reference: 'a' }) })).not.toBe(
      eventKey({ event: 'charge.success', data: chargeData({ reference: 'b' }) }),
    );
  });

  it('keys a numeric reference', () => {
    expect(eventKey({ event: 'charge.success', data: { reference: 12345 } })).toBe('paystack:charge:12345');
  });

  it('keys a charge without a reference by a hash of its body', () => {
    expect(eventKey({ event: 'charge.success', data: chargeData({ reference: undefined }) })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    expect(eventKey({ event: 'charge.success', data: chargeData({ reference: '' }) })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    expect(eventKey({ event: 'charge.success', data: chargeData({ reference: null }) })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    expect(eventKey({ event: 'charge.success', data: {} })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
  });

  describe('invoices', () => {
    const pending = { invoice_code: 'INV_kw5t1l6iyk1v5ho', status: 'pending', paid: false };
    const success = { invoice_code: 'INV_kw5t1l6iyk1v5ho', status: 'success', paid: true };

    it('keys invoice.update pending and success differently', () => {
      const a = eventKey({ event: 'invoice.update', data: pending });
      const b = eventKey({ event: 'invoice.update', data: success });
      expect(a).toBeDefined();
      expect(b).toBeDefined();
      expect(a).not.toBe(b);
      expect(a).toContain('INV_kw5t1l6iyk1v5ho');
      expect(b).toContain('INV_kw5t1l6iyk1v5ho');
    });

    it('keys a resent invoice.update in the same state the same way', () => {
      expect(eventKey({ event: 'invoice.update', data: { ...success, updated_at: 'x' } })).toBe(
        eventKey({ event: 'invoice.update', data: success }),
      );
    });

    it('keys invoice.create, invoice.update and invoice.payment_failed of one invoice apart', () => {
      const keys = ['invoice.create', 'invoice.update', 'invoice.payment_failed'].map((event) => eventKey({ event, data: pending }));
      expect(new Set(keys).size).toBe(3);
    });

    it('keys different invoices differently', () => {
      expect(eventKey({ event: 'invoice.update', data: success })).not.toBe(
        eventKey({ event: 'invoice.update', data: { ...success, invoice_code: 'INV_other' } }),
      );
    });

    it('returns undefined without an invoice code', () => {
      expect(eventKey({ event: 'invoice.update', data: { status: 'success', paid: true } })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
      expect(eventKey({ event: 'invoice.payment_failed', data: { invoice_code: '' } })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    });
  });

  describe('subscriptions', () => {
    it.each(['subscription.create', 'subscription.disable', 'subscription.not_renew'])('keys %s by subscription_code', (event) => {
      const key = eventKey({ event, data: { subscription_code: 'SUB_vsyqdmlzble3uii', status: 'active' } });
      expect(key).toBe(`paystack:${event}:SUB_vsyqdmlzble3uii`);
    });

    it('keys different subscription events of one subscription apart', () => {
      const data = { subscription_code: 'SUB_vsyqdmlzble3uii' };
      expect(eventKey({ event: 'subscription.create', data })).not.toBe(eventKey({ event: 'subscription.disable', data }));
    });

    it('returns undefined without a subscription code', () => {
      expect(eventKey({ event: 'subscription.disable', data: {} })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
      expect(eventKey({ event: 'subscription.create', data: { subscription_code: '' } })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
      // A subscription event is not keyed by some other id.
      expect(eventKey({ event: 'subscription.create', data: { id: 5, reference: 'r' } })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    });
  });

  describe('other events', () => {
    it('keys by data.id, else data.reference', () => {
      expect(eventKey({ event: 'refund.processed', data: { id: 991, reference: 'r1' } })).toBe('paystack:refund.processed:991');
      expect(eventKey({ event: 'transfer.success', data: { reference: 'trf_1' } })).toBe('paystack:transfer.success:trf_1');
    });

    it('returns undefined without either', () => {
      expect(eventKey({ event: 'customeridentification.success', data: {} })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
      expect(eventKey({ event: 'transfer.success', data: { id: null, reference: '' } })).toMatch(/^paystack:[\w.]+:sha256:[0-9a-f]{32}$/);
    });
  });
});
