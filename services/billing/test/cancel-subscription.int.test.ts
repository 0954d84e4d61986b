import { Code, ConnectError } from '@connectrpc/connect';
import { createProTrader, stackBillingClient, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { randomBytes } from 'node:crypto';

// CancelSubscription against stripe-mock and the fake Paystack (real billing process), and
// ListPlans from the plans file.

jest.setTimeout(120_000);

describe('CancelSubscription and ListPlans', () => {
  let h: BillingHarness;
  let billing: ReturnType<typeof stackBillingClient>;
  const unique = () => randomBytes(6).toString('hex');

  beforeAll(async () => {
    h = await startBillingHarness();
    billing = stackBillingClient(h.stack, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('Stripe: sets cancel_at_period_end through the API, keeps the plan until the period ends, and is idempotent', async () => {
    const { id } = await createProTrader(h.stack, 'cancelstripe');
    const before = await billing.getUser({ userId: id });
    expect(before.subscription).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe', cancelAtPeriodEnd: false });
    const after = await billing.cancelSubscription({ userId: id });
    expect(after).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe', cancelAtPeriodEnd: true });
    expect(after.features).toEqual(before.subscription!.features);
    expect((await billing.getUser({ userId: id })).subscription?.cancelAtPeriodEnd).toBe(true);
    expect(await billing.cancelSubscription({ userId: id })).toMatchObject({ cancelAtPeriodEnd: true });
    expect(h.logs.filter((l) => l.includes('subscription set to end at period end') && l.includes(id))).toHaveLength(1);
  });

  it('Paystack: disables the subscription with its email token, and the user is non_renewing', async () => {
    const user = await billing.createUser({ email: `cancel-ps-${unique()}@example.com` });
    const code = `SUB_${unique()}`;
    const next = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const event = {
      event: 'subscription.create',
      data: {
        subscription_code: code,
        status: 'active',
        next_payment_date: next,
        createdAt: new Date().toISOString(),
        plan: { plan_code: 'PLN_pro_monthly' },
        customer: { email: user.email, customer_code: `CUS_${unique()}` },
      },
    };
    await billing.applyPaystackEvent({ payload: Buffer.from(JSON.stringify(event)) });
    const sub = h.paystack.addSubscription(code);
    const after = await billing.cancelSubscription({ userId: user.id });
    expect(after).toMatchObject({ plan: 'pro', provider: 'paystack', status: 'non_renewing', cancelAtPeriodEnd: true });
    expect(sub.status).toBe('non-renewing');
    const disable = h.paystack.requests.filter((r) => r.path === '/subscription/disable');
    expect(disable.at(-1)?.body).toEqual({ code, token: sub.email_token });
  });

  it('Paystack refusing the disable is a FAILED_PRECONDITION, and nothing changes', async () => {
    const user = await billing.createUser({ email: `cancel-ps-unknown-${unique()}@example.com` });
    const code = `SUB_${unique()}`;
    const event = {
      event: 'subscription.create',
      data: { subscription_code: code, status: 'active', next_payment_date: new Date(Date.now() + 86_400_000).toISOString(), createdAt: new Date().toISOString(), plan: { plan_code: 'PLN_pro_monthly' }, customer: { email: user.email, customer_code: `CUS_${unique()}` } },
    };
    await billing.applyPaystackEvent({ payload: Buffer.from(JSON.stringify(event)) });
    // Paystack does not know this subscription.
    await expect(billing.cancelSubscription({ userId: user.id })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    expect((await billing.getUser({ userId: user.id })).subscription).toMatchObject({ status: 'active', cancelAtPeriodEnd: false });
  });

  it('a free user has nothing to cancel: FAILED_PRECONDITION no_subscription; a bad id is INVALID_ARGUMENT', async () => {
    const user = await billing.createUser({ email: `cancel-free-${unique()}@example.com` });
    const err = await billing.cancelSubscription({ userId: user.id }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.FailedPrecondition });
    expect((err as ConnectError).metadata.get('error-code')).toBe('no_subscription');
    await expect(billing.cancelSubscription({ userId: 'nope' })).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('lists the plans for sale with their providers and Paystack price', async () => {
    const { plans } = await billing.listPlans({});
    expect(plans.map((p) => p.id)).toEqual(['pro', 'enterprise']);
    expect(plans[0]).toMatchObject({ id: 'pro', providers: ['stripe', 'paystack'], amount: 1_500_000n, currency: 'NGN', intervalDays: 30, features: ['tradingview_webhooks', 'auto_trading'] });
  });
});
