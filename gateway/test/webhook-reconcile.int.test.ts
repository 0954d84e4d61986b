import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { bearer, billingClient, outcomeOf, request } from './support/clients';
import { nextId } from './support/stripe-events';

// Reconciliation, for an outage longer than the providers' retries: what Stripe could not
// deliver and Paystack payments nothing confirmed are fed through the webhook path.

describe('reconciliation with Stripe and Paystack', () => {
  let h: BillingHarness;
  let billing: ReturnType<typeof billingClient>;

  beforeAll(async () => {
    // Unconfirmed Paystack payments are verified after 60 ms here (30 min in production).
    h = await startBillingHarness({ serviceEnv: { billing: { PAYSTACK_RECONCILE_MINUTES: '0.001' } } });
    billing = billingClient(h.stack);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('feeds the events Stripe could not deliver, once', async () => {
    const first = await billing.reconcileWebhooks({});
    // stripe-mock answers GET /v1/events with one canned event.
    expect(first.stripe).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 20_000;
    let second = await billing.reconcileWebhooks({});
    while (second.stripe > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      second = await billing.reconcileWebhooks({});
    }
    // Once applied (whatever its outcome), an event is in the ledger and not fed again.
    expect(second.stripe).toBe(0);
  });

  it('applies a Paystack payment whose webhook and callback never came, once', async () => {
    const user = await billing.createUser({ email: `${nextId('rc')}@example.com` });
    const init = await request(`${h.stack.gatewayUrl}/api/payments/paystack/initialize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(user.id) },
      body: JSON.stringify({ plan: 'pro' }),
    });
    const reference = init.body.reference as string;
    // Not paid yet: verified, nothing to apply, still pending. (Stripe's events were fed by the test before.)
    await new Promise((r) => setTimeout(r, 100));
    expect((await billing.reconcileWebhooks({})).paystack).toBe(0);

    h.paystack.pay(reference);
    expect((await billing.reconcileWebhooks({})).paystack).toBe(1);
    expect(await outcomeOf(h.stack, `paystack:charge:${reference}`)).toBe('applied');
    expect((await billing.getUser({ userId: user.id })).subscription).toMatchObject({ plan: 'pro', status: 'active', provider: 'paystack' });
    // Confirmed now: not verified again.
    const verifies = () => h.paystack.requests.filter((r) => r.path.includes(`/transaction/verify/${reference}`)).length;
    const before = verifies();
    expect((await billing.reconcileWebhooks({})).paystack).toBe(0);
    expect(verifies()).toBe(before);
    expect((await billing.listPayments({ userId: user.id })).payments).toHaveLength(1);
  });
});
