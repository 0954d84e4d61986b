import { timestampDate } from '@bufbuild/protobuf/wkt';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { Outcome } from '@tbot/common';
import { connect } from 'nats';
import { bearer, billingClient, postPaystack, request, webhooks } from './support/clients';
import { nextId } from './support/stripe-events';

const DAY_MS = 86_400_000;
const SUCCESS_URL = 'https://app.example.com/billing/success';
const FAILURE_URL = 'https://app.example.com/billing/failed';

describe('Paystack through the gateway', () => {
  let h: BillingHarness;
  let gw: string;
  let billing: ReturnType<typeof billingClient>;
  let deliver: ReturnType<typeof webhooks>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: {
        gateway: { PAYSTACK_SUCCESS_URL: SUCCESS_URL, PAYSTACK_FAILURE_URL: FAILURE_URL, PUBLIC_BASE_URL: 'https://api.example.com' },
      },
    });
    gw = h.stack.gatewayUrl;
    billing = billingClient(h.stack);
    deliver = webhooks(h.stack);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const newUser = async () => billing.createUser({ email: `${nextId('p')}@example.com` });
  const subscriptionOf = async (id: string) => (await billing.getUser({ userId: id })).subscription!;

  /** What a payer does: initialize through our API, pay on Paystack. */
  async function initialize(userId: string, plan = 'pro') {
    const res = await request(`${gw}/api/payments/paystack/initialize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(userId) },
      body: JSON.stringify({ plan }),
    });
    expect(res.status).toBe(200);
    return res.body as { authorization_url: string; reference: string };
  }
  const callback = (reference: string) => request(`${gw}/api/payments/paystack/callback?trxref=${reference}&reference=${reference}`);
  const chargeSuccess = (reference: string) => ({ event: 'charge.success', data: h.paystack.transactionData(h.paystack.transactions.get(reference)!) });

  it('initializes with the plan price and our callback URL', async () => {
    const user = await newUser();
    const init = await initialize(user.id);
    expect(init.authorization_url).toMatch(/^https:\/\/checkout\.paystack\.com\//);
    const tx = h.paystack.transactions.get(init.reference)!;
    expect(tx).toMatchObject({ amount: 1500000, currency: 'NGN', plan: 'PLN_pro_monthly', metadata: { user_id: user.id, plan: 'pro' } });
    const sent = h.paystack.requests.find((r) => (r.body as { reference?: string })?.reference === init.reference);
    expect(sent?.body).toMatchObject({ callback_url: 'https://api.example.com/api/payments/paystack/callback' });
    const bad = await request(`${gw}/api/payments/paystack/initialize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(user.id) },
      body: JSON.stringify({ plan: 'free' }),
    });
    expect(bad).toMatchObject({ status: 400, body: { error: 'unknown_plan' } });
  });

  it('callback then webhook: verified, applied once, redirected to success, period bought once', async () => {
    const nc = await connect({ servers: h.stack.natsUrl });
    const seen: Array<{ subject: string; data: any }> = [];
    const sub = nc.subscribe('billing.>');
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, data: JSON.parse(new TextDecoder().decode(m.data)) });
    })();
    const user = await newUser();
    const { reference } = await initialize(user.id);
    const paidAt = new Date(Date.now() - 60_000);
    h.paystack.pay(reference, { paid_at: paidAt.toISOString() });

    const cb = await callback(reference);
    expect(cb.status).toBe(302);
    expect(cb.headers.get('location')).toBe(`${SUCCESS_URL}?reference=${reference}`);
    const s = await subscriptionOf(user.id);
    expect(s).toMatchObject({ plan: 'pro', status: 'active', provider: 'paystack', features: ['tradingview_webhooks', 'auto_trading'] });
    expect(timestampDate(s.currentPeriodEnd!).getTime()).toBe(paidAt.getTime() + 30 * DAY_MS);

    const hook = await postPaystack(gw, chargeSuccess(reference));
    expect(hook).toMatchObject({ status: 200, body: { status: 'accepted', event_id: `paystack:charge:${reference}`, duplicate: false } });
    // The ledger entry is the callback's: the webhook changes nothing.
    expect(await deliver.paystack(chargeSuccess(reference))).toBe('applied');
    await new Promise((r) => setTimeout(r, 300));
    expect((await callback(reference)).headers.get('location')).toBe(`${SUCCESS_URL}?reference=${reference}`);
    const after = await subscriptionOf(user.id);
    expect(timestampDate(after.currentPeriodEnd!).getTime()).toBe(paidAt.getTime() + 30 * DAY_MS);
    const { payments } = await billing.listPayments({ userId: user.id });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ provider: 'paystack', providerPaymentId: reference, amount: 1500000n, currency: 'NGN', status: 'success' });

    await new Promise((r) => setTimeout(r, 500));
    await nc.close();
    const mine = seen.filter((m) => m.data.user_id === user.id);
    expect(mine.map((m) => m.subject).sort()).toEqual(['billing.payment.succeeded', 'billing.subscription.activated']);
    expect(mine.find((m) => m.subject === 'billing.payment.succeeded')!.data).toMatchObject({
      event_id: `paystack:charge:${reference}`,
      plan: 'pro',
      status: 'success',
      provider: 'paystack',
      provider_payment_id: reference,
      amount: '1500000',
      currency: 'NGN',
    });
  });

  it('webhook then callback: the callback finds it applied and still says success', async () => {
    const user = await newUser();
    const { reference } = await initialize(user.id);
    h.paystack.pay(reference);
    expect(await deliver.paystack(chargeSuccess(reference))).toBe('applied');
    expect((await postPaystack(gw, chargeSuccess(reference))).body).toMatchObject({ status: 'accepted', duplicate: true });
    expect((await callback(reference)).headers.get('location')).toBe(`${SUCCESS_URL}?reference=${reference}`);
    expect((await subscriptionOf(user.id)).plan).toBe('pro');
  });

  it('a renewal charge extends the period from its current end', async () => {
    const user = await newUser();
    const first = await initialize(user.id);
    const paidAt = new Date(Date.now() - 10 * DAY_MS);
    h.paystack.pay(first.reference, { paid_at: paidAt.toISOString() });
    await deliver.paystack(chargeSuccess(first.reference));
    const second = await initialize(user.id);
    h.paystack.pay(second.reference);
    await deliver.paystack(chargeSuccess(second.reference));
    const s = await subscriptionOf(user.id);
    expect(timestampDate(s.currentPeriodEnd!).getTime()).toBe(paidAt.getTime() + 60 * DAY_MS);
  });

  it('refuses to grant a plan for a failed, underpaid or wrong-currency payment', async () => {
    const user = await newUser();
    const failed = await initialize(user.id);
    h.paystack.pay(failed.reference, { status: 'failed', paid_at: null });
    const cb = await callback(failed.reference);
    expect(cb.headers.get('location')).toBe(`${FAILURE_URL}?reference=${failed.reference}&status=failed`);

    const under = await initialize(user.id);
    h.paystack.pay(under.reference, { amount: 100 });
    expect((await callback(under.reference)).headers.get('location')).toBe(`${FAILURE_URL}?reference=${under.reference}&status=not_accepted`);
    const wrongCurrency = await initialize(user.id);
    h.paystack.pay(wrongCurrency.reference, { currency: 'USD' });
    expect((await deliver.paystack(chargeSuccess(wrongCurrency.reference)))).toBe('ignored');

    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'free', features: [] });
    expect((await callback('no_such_reference')).headers.get('location')).toBe(`${FAILURE_URL}?reference=no_such_reference&status=not_found`);
    expect((await request(`${gw}/api/payments/paystack/callback`)).body.error).toBe('invalid_reference');
    expect((await request(`${gw}/api/payments/paystack/callback?reference=%3Cscript%3E`)).status).toBe(400);
  });

  it('checks x-paystack-signature over the raw body', async () => {
    const e = { event: 'charge.success', data: { reference: 'x', amount: 1 } };
    expect((await postPaystack(gw, e, { header: null })).body.error).toBe('missing_signature');
    expect((await postPaystack(gw, e, { key: 'sk_test_wrong' })).body.error).toBe('invalid_signature');
    expect((await postPaystack(gw, e, { header: 'f'.repeat(64) })).body.error).toBe('malformed_signature');
    expect((await postPaystack(gw, undefined, { raw: '{"data":{}}' })).body.error).toBe('malformed_payload');
  });

  it('finds the user by email when metadata is 0, and keeps unknown payers as unmatched', async () => {
    const user = await newUser();
    const reference = nextId('manual');
    const data = {
      id: 99,
      status: 'success',
      reference,
      amount: 1500000,
      currency: 'NGN',
      paid_at: new Date().toISOString(),
      metadata: 0,
      customer: { email: user.email.toUpperCase(), customer_code: nextId('CUS') },
      plan: { plan_code: 'PLN_pro_monthly' },
    };
    expect((await deliver.paystack({ event: 'charge.success', data }))).toBe('applied');
    expect((await subscriptionOf(user.id)).plan).toBe('pro');
    const stranger = { ...data, reference: nextId('manual'), customer: { email: 'nobody@example.com', customer_code: 'CUS_nobody' } };
    expect((await deliver.paystack({ event: 'charge.success', data: stranger }))).toBe('unmatched');
  });

  it('follows a Paystack subscription: create, failed invoice, paid invoice, not_renew, disable', async () => {
    const user = await newUser();
    const customer = { email: user.email, customer_code: nextId('CUS') };
    const code = nextId('SUB');
    const next = new Date(Date.now() + 30 * DAY_MS);
    const base = Date.now() - 10_000;
    const at = (ms: number) => new Date(base + ms).toISOString();
    const create = {
      event: 'subscription.create',
      data: { subscription_code: code, status: 'active', next_payment_date: next.toISOString(), createdAt: at(0), plan: { plan_code: 'PLN_pro_monthly' }, customer },
    };
    expect((await deliver.paystack(create))).toBe('applied');
    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'pro', status: 'active', provider: 'paystack' });
    expect((await postPaystack(gw, create)).body.duplicate).toBe(true);
    expect((await billing.applyPaystackEvent({ payload: Buffer.from(JSON.stringify(create)) })).outcome).toBe(Outcome.DUPLICATE);

    const invoice = (status: string, paid: boolean, ms: number, nextPayment = next) => ({
      invoice_code: 'INV_1' + code,
      amount: 1500000,
      status,
      paid,
      paid_at: paid ? at(ms) : null,
      created_at: at(ms),
      subscription: { subscription_code: code, next_payment_date: nextPayment.toISOString() },
      customer,
      transaction: { reference: nextId('T'), status, amount: 1500000, currency: 'NGN' },
    });
    expect((await deliver.paystack({ event: 'invoice.payment_failed', data: invoice('failed', false, 1000) }))).toBe('applied');
    expect((await subscriptionOf(user.id)).status).toBe('past_due');
    const later = new Date(next.getTime() + 30 * DAY_MS);
    expect((await deliver.paystack({ event: 'invoice.update', data: invoice('success', true, 2000, later) }))).toBe('applied');
    const s = await subscriptionOf(user.id);
    expect(s.status).toBe('active');
    expect(timestampDate(s.currentPeriodEnd!).getTime()).toBe(later.getTime());

    const notRenew = { event: 'subscription.not_renew', data: { subscription_code: code, status: 'non-renewing', customer, updatedAt: at(3000) } };
    expect((await deliver.paystack(notRenew))).toBe('applied');
    expect(await subscriptionOf(user.id)).toMatchObject({ status: 'non_renewing', cancelAtPeriodEnd: true, features: ['tradingview_webhooks', 'auto_trading'] });
    const disable = { event: 'subscription.disable', data: { subscription_code: code, status: 'complete', customer, updatedAt: at(4000) } };
    expect((await deliver.paystack(disable))).toBe('applied');
    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'free', status: 'canceled', features: [] });
  });
});
