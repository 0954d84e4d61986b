import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Outcome } from '@tbot/common';
import { startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import jwt from 'jsonwebtoken';
import { connect, type NatsConnection, type Subscription } from 'nats';
import { bearer, billingClient, postStripe, request, TEST_AUDIENCE, webhooks } from './support/clients';
import { checkoutSession, event, invoiceNew, invoiceOld, nextId, nowSeconds, subscriptionNew, subscriptionOld } from './support/stripe-events';

const PRO_FEATURES = ['tradingview_webhooks', 'auto_trading'];

describe('Stripe webhooks through the gateway', () => {
  let h: BillingHarness;
  let gw: string;
  let billing: ReturnType<typeof billingClient>;
  let deliver: ReturnType<typeof webhooks>;

  beforeAll(async () => {
    h = await startBillingHarness({
      serviceEnv: { gateway: { ALLOWED_REDIRECT_ORIGINS: 'https://app.example.com,https://a.example', AUTH_JWT_AUDIENCE: TEST_AUDIENCE } },
    });
    gw = h.stack.gatewayUrl;
    billing = billingClient(h.stack);
    deliver = webhooks(h.stack);
  });
  afterAll(async () => {
    await h?.stop();
  });

  const newUser = async () => billing.createUser({ email: `${nextId('u')}@example.com` });
  const subscriptionOf = async (id: string) => (await billing.getUser({ userId: id })).subscription!;

  describe('signature checks', () => {
    const anyEvent = () => event('invoice.paid', { id: nextId('in') });

    it('refuses a missing, malformed, wrongly keyed or stale signature with a 400 naming the reason', async () => {
      const cases: Array<[Parameters<typeof postStripe>[2], string]> = [
        [{ header: null }, 'missing_signature'],
        [{ header: 'v1=abc' }, 'malformed_signature'],
        [{ secret: 'whsec_attacker' }, 'invalid_signature'],
        [{ timestamp: nowSeconds() - 400 }, 'timestamp_out_of_tolerance'],
        [{ timestamp: nowSeconds() + 400 }, 'timestamp_out_of_tolerance'],
      ];
      for (const [opts, code] of cases) {
        const res = await postStripe(gw, anyEvent(), opts);
        expect({ code, status: res.status, body: res.body }).toEqual({
          code,
          status: 400,
          body: { error: code, message: expect.any(String) },
        });
      }
      const metrics = await request(`${h.stack.gatewayOpsUrl}/metrics`);
      expect(metrics.body).toMatch(/webhook_signature_failures_total\{provider="stripe",reason="invalid_signature"\} [1-9]/);
      expect(metrics.body).toMatch(/webhook_signature_failures_total\{provider="stripe",reason="timestamp_out_of_tolerance"\} 2/);
    });

    it('accepts either of the configured secrets (rotation)', async () => {
      const e = event('charge.refunded', { id: nextId('ch') });
      const res = await postStripe(gw, e, { secret: TEST_SECRETS.stripeWebhookSecrets[1] });
      expect(res).toMatchObject({ status: 200, body: { status: 'accepted', event_id: `stripe:${e.id}`, duplicate: false } });
      expect(await deliver.stripe(e)).toBe('ignored');
    });

    it('answers 400 for a signed body that is not JSON or not an event, and changes nothing', async () => {
      expect((await postStripe(gw, undefined, { raw: '{"id":' })).body.error).toBe('malformed_payload');
      expect((await postStripe(gw, undefined, { raw: '{"hello":"world"}' })).body.error).toBe('malformed_payload');
      expect((await postStripe(gw, undefined, { raw: '{"hello":"world"}' })).status).toBe(400);
    });
  });

  it('subscribes a user from checkout to an active pro subscription (new payload layout)', async () => {
    const user = await newUser();
    const customer = nextId('cus');
    const sub = subscriptionNew({ customer, start: nowSeconds() - 60, end: nowSeconds() + 30 * 86400 });
    const checkout = event('checkout.session.completed', checkoutSession({ userId: user.id, customer, subscription: sub.id }));
    expect((await postStripe(gw, checkout)).body).toEqual({ status: 'accepted', event_id: `stripe:${checkout.id}`, duplicate: false });
    expect(await deliver.stripe(checkout)).toBe('applied');
    // No user id on the subscription: found through the customer link made at checkout.
    expect((await deliver.stripe(event('customer.subscription.created', sub)))).toBe('applied');
    const s = await subscriptionOf(user.id);
    expect(s).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe', cancelAtPeriodEnd: false });
    expect(s.features).toEqual(PRO_FEATURES);
    expect(timestampDate(s.currentPeriodStart!).getTime()).toBe(sub.items.data[0]!.current_period_start * 1000);
    expect(timestampDate(s.currentPeriodEnd!).getTime()).toBe(sub.items.data[0]!.current_period_end * 1000);
  });

  it('reads the period from the subscription itself in the pre-2025-03-31 layout', async () => {
    const user = await newUser();
    const start = nowSeconds() - 3600;
    const sub = subscriptionOld({ userId: user.id, start, end: start + 7 * 86400 });
    expect((await deliver.stripe(event('customer.subscription.created', sub, nowSeconds(), '2024-06-20')))).toBe('applied');
    const s = await subscriptionOf(user.id);
    expect(s.plan).toBe('pro');
    expect(timestampDate(s.currentPeriodEnd!).getTime()).toBe((start + 7 * 86400) * 1000);
  });

  it('applies a repeated event once: the repeat is a duplicate and publishes nothing', async () => {
    const nc = await connect({ servers: h.stack.natsUrl });
    const seen: Array<{ subject: string; data: string; msgId: string }> = [];
    const sub: Subscription = nc.subscribe('billing.>');
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, data: new TextDecoder().decode(m.data), msgId: m.headers?.get('Nats-Msg-Id') ?? '' });
    })();
    try {
      const user = await newUser();
      const sub = subscriptionNew({ userId: user.id });
      const e = event('customer.subscription.created', sub);
      const answers = await Promise.all(Array.from({ length: 5 }, () => postStripe(gw, e)));
      // Every delivery is accepted; JetStream stores the event once.
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(answers.map((a) => a.body.duplicate).sort()).toEqual([false, true, true, true, true]);
      expect(await deliver.stripe(e)).toBe('applied');
      // A resend after JetStream's duplicate window reaches billing, whose ledger ignores it.
      expect((await billing.applyStripeEvent({ payload: Buffer.from(JSON.stringify(e)) })).outcome).toBe(Outcome.DUPLICATE);
      await new Promise((r) => setTimeout(r, 500));
      const mine = seen.filter((m) => m.data.includes(user.id));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.subject).toBe('billing.subscription.activated');
      expect(mine[0]!.msgId).toBe(`stripe:${e.id}`);
      expect(JSON.parse(mine[0]!.data)).toEqual({
        event_id: `stripe:${e.id}`,
        user_id: user.id,
        email: user.email,
        plan: 'pro',
        previous_plan: 'free',
        status: 'active',
        provider: 'stripe',
        current_period_start: new Date(sub.items.data[0]!.current_period_start * 1000).toISOString().replace('.000Z', 'Z'),
        current_period_end: new Date(sub.items.data[0]!.current_period_end * 1000).toISOString().replace('.000Z', 'Z'),
        features: PRO_FEATURES,
        cause: 'customer.subscription.created',
      });
    } finally {
      await nc.close();
    }
  });

  it.each([
    ['2025-03-31 and later', subscriptionNew, '2025-09-30.clover'],
    ['before 2025-03-31', subscriptionOld, '2024-06-20'],
  ])('takes a user free → pro → past_due → canceled, one NATS message per change (layout %s)', async (_name, makeSub, apiVersion) => {
    const nc = await connect({ servers: h.stack.natsUrl });
    const seen: Array<{ subject: string; data: any }> = [];
    const sub = nc.subscribe('billing.>');
    void (async () => {
      for await (const m of sub) seen.push({ subject: m.subject, data: JSON.parse(new TextDecoder().decode(m.data)) });
    })();
    try {
      const user = await newUser();
      expect((await subscriptionOf(user.id)).plan).toBe('free');
      const id = nextId('sub');
      const customer = nextId('cus');
      const start = nowSeconds() - 3600;
      const end = start + 30 * 86400;
      const t = nowSeconds() - 100;
      const send = async (type: string, status: string, at: number) => {
        return deliver.stripe(event(type, makeSub({ id, customer, userId: user.id, status, start, end }), at, apiVersion));
      };
      expect(await send('customer.subscription.created', 'active', t)).toBe('applied');
      const active = await subscriptionOf(user.id);
      expect(active).toMatchObject({ plan: 'pro', status: 'active', provider: 'stripe', features: PRO_FEATURES });
      expect(timestampDate(active.currentPeriodStart!).getTime()).toBe(start * 1000);
      expect(timestampDate(active.currentPeriodEnd!).getTime()).toBe(end * 1000);
      expect(await send('customer.subscription.updated', 'past_due', t + 1)).toBe('applied');
      expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'pro', status: 'past_due', features: PRO_FEATURES });
      expect(await send('customer.subscription.updated', 'past_due', t + 1)).toBe('applied'); // another event, same state
      expect(await send('customer.subscription.deleted', 'canceled', t + 2)).toBe('applied');
      expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'free', status: 'canceled', features: [] });
      expect(await send('customer.subscription.updated', 'active', t + 1)).toBe('stale');

      await new Promise((r) => setTimeout(r, 500));
      const mine = seen.filter((m) => m.data.user_id === user.id);
      expect(mine.map((m) => [m.subject, m.data.status])).toEqual([
        ['billing.subscription.activated', 'active'],
        ['billing.subscription.updated', 'past_due'],
        ['billing.subscription.updated', 'past_due'],
        ['billing.subscription.canceled', 'canceled'],
      ]);
    } finally {
      await nc.close();
    }
  });

  it('never lets an older event overwrite newer state (stale), whatever the arrival order', async () => {
    const user = await newUser();
    const customer = nextId('cus');
    const id = nextId('sub');
    const t = nowSeconds() - 100;
    const created = event('customer.subscription.created', subscriptionNew({ id, customer, userId: user.id, status: 'active' }), t);
    const pastDue = event('customer.subscription.updated', subscriptionNew({ id, customer, userId: user.id, status: 'past_due' }), t + 20);
    const olderActive = event('customer.subscription.updated', subscriptionNew({ id, customer, userId: user.id, status: 'active' }), t + 10);
    expect((await deliver.stripe(pastDue))).toBe('applied');
    expect((await deliver.stripe(created))).toBe('stale');
    expect((await deliver.stripe(olderActive))).toBe('stale');
    expect((await subscriptionOf(user.id)).status).toBe('past_due');
  });

  it('keeps features while past_due until the period ends, then not; deleted leaves the user on free, canceled', async () => {
    const user = await newUser();
    const id = nextId('sub');
    const customer = nextId('cus');
    const t = nowSeconds() - 1000;
    await deliver.stripe(event('customer.subscription.created', subscriptionNew({ id, customer, userId: user.id }), t));
    await deliver.stripe(event('customer.subscription.updated', subscriptionNew({ id, customer, userId: user.id, status: 'past_due' }), t + 1));
    expect((await subscriptionOf(user.id)).features).toEqual(PRO_FEATURES);
    await deliver.stripe(
      event('customer.subscription.updated', subscriptionNew({ id, customer, userId: user.id, status: 'past_due', start: t - 86400 * 30, end: t }), t + 2),
    );
    expect(await subscriptionOf(user.id)).toMatchObject({ status: 'past_due', features: [] });
    await deliver.stripe(event('customer.subscription.updated', subscriptionNew({ id, customer, userId: user.id, status: 'unpaid' }), t + 3));
    expect((await subscriptionOf(user.id)).features).toEqual([]);
    expect((await deliver.stripe(event('customer.subscription.deleted', subscriptionNew({ id, customer, status: 'canceled' }), t + 4)))).toBe(
      'applied',
    );
    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'free', status: 'canceled', features: [] });
  });

  it('does not let the end of an old subscription cancel the new one', async () => {
    const user = await newUser();
    const customer = nextId('cus');
    const oldSub = subscriptionNew({ customer, userId: user.id });
    const newSub = subscriptionNew({ customer, userId: user.id, price: 'price_enterprise_monthly' });
    const t = nowSeconds() - 50;
    await deliver.stripe(event('customer.subscription.created', oldSub, t));
    await deliver.stripe(event('customer.subscription.created', newSub, t + 1));
    expect(await deliver.stripe(event('customer.subscription.deleted', { ...oldSub, status: 'canceled' }, t + 2))).toBe('ignored');
    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'enterprise', status: 'active' });
  });

  it('moves a subscription to past_due on invoice.payment_failed and back on invoice.paid, recording both payments', async () => {
    const user = await newUser();
    const customer = nextId('cus');
    const sub = subscriptionNew({ customer, userId: user.id });
    const t = nowSeconds() - 30;
    await deliver.stripe(event('customer.subscription.created', sub, t));
    const failed = invoiceNew({ subscription: sub.id, customer, userId: user.id, paid: false });
    expect((await deliver.stripe(event('invoice.payment_failed', failed, t + 1)))).toBe('applied');
    expect((await subscriptionOf(user.id)).status).toBe('past_due');
    // The retry succeeds on the same invoice, sent in the old layout (invoice.subscription).
    const paid = { ...invoiceOld({ subscription: sub.id, customer, paid: true }), id: failed.id };
    expect((await deliver.stripe(event('invoice.paid', paid, t + 2)))).toBe('applied');
    expect(await subscriptionOf(user.id)).toMatchObject({ status: 'active', features: PRO_FEATURES });
    const { payments } = await billing.listPayments({ userId: user.id });
    expect(payments).toHaveLength(1);
    expect(payments[0]).toMatchObject({ providerPaymentId: failed.id, status: 'paid', amount: 1500n, currency: 'usd', plan: 'pro' });
  });

  it('parks an event for an unknown user as unmatched, ignores an unknown type, and counts both', async () => {
    const unmatched = event('customer.subscription.created', subscriptionNew({ userId: '00000000-0000-4000-8000-00000000abcd' }));
    expect(await deliver.stripe(unmatched)).toBe('unmatched');
    const parked = await billing.listUnmatchedEvents({ provider: 'stripe' });
    expect(parked.events.map((e) => e.eventKey)).toContain(`stripe:${unmatched.id}`);
    expect(JSON.parse(parked.events.find((e) => e.eventKey === `stripe:${unmatched.id}`)!.payload)).toEqual(unmatched);
    expect(await deliver.stripe(event('customer.created', { id: nextId('cus') }))).toBe('ignored');
    const metrics = (await request(`${h.stack.gatewayOpsUrl}/metrics`)).body as string;
    expect(metrics).toMatch(/webhooks_received_total\{provider="stripe",event_type="customer.subscription.created",outcome="accepted"\} [1-9]/);
    expect(metrics).toMatch(/webhook_processing_seconds_count\{provider="stripe"\} [1-9]/);
    const billingMetrics = (await request(h.stack.billingMetricsUrl)).body as string;
    expect(billingMetrics).toMatch(/webhook_events_applied_total\{provider="stripe",event_type="customer.subscription.created",outcome="unmatched"\} 1/);
    expect(billingMetrics).toMatch(/webhook_events_applied_total\{provider="stripe",event_type="other",outcome="ignored"\} [1-9]/);
  });

  it('applies a parked unmatched event once the customer is linked to a user', async () => {
    const user = await newUser();
    const customer = nextId('cus');
    const sub = subscriptionNew({ customer });
    expect(await deliver.stripe(event('customer.subscription.created', sub))).toBe('unmatched');
    const checkout = event('checkout.session.completed', checkoutSession({ userId: user.id, customer }));
    expect(await deliver.stripe(checkout)).toBe('applied');
    const deadline = Date.now() + 15_000;
    while ((await subscriptionOf(user.id)).plan !== 'pro' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await subscriptionOf(user.id)).toMatchObject({ plan: 'pro', status: 'active' });
  });

  describe('POST /api/payments/stripe/create-checkout', () => {
    const post = (body: unknown, auth?: string) =>
      request(`${gw}/api/payments/stripe/create-checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify(body),
      });

    it('needs a valid HS256 bearer token', async () => {
      expect((await post({ plan: 'pro' })).body.error).toBe('missing_token');
      expect((await post({ plan: 'pro' }, bearer('u1', 'another-secret-that-is-long-enough-000000'))).status).toBe(401);
      expect((await post({ plan: 'pro' }, bearer('u1', undefined, -10))).body.error).toBe('token_expired');
      // alg "none" must not pass.
      const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"u1"}').toString('base64url')}.`;
      expect((await post({ plan: 'pro' }, `Bearer ${none}`)).status).toBe(401);
      const user = await newUser();
      const sign = (claims: object, opts: jwt.SignOptions = {}) => `Bearer ${jwt.sign(claims, TEST_SECRETS.jwtSecret, { algorithm: 'HS256', ...opts })}`;
      const refused: Array<[string, string]> = [
        ['no expiry', sign({ sub: user.id, aud: TEST_AUDIENCE })],
        ['issued 2 days ago, expiring in a year', sign({ sub: user.id, aud: TEST_AUDIENCE, iat: Math.floor(Date.now() / 1000) - 2 * 86_400 }, { expiresIn: '400d' })],
        ['no iat', sign({ sub: user.id, aud: TEST_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 }, { noTimestamp: true })],
        ['subject a number', sign({ sub: 42, aud: TEST_AUDIENCE }, { expiresIn: 300 })],
        ['subject not a user id', sign({ sub: 'admin', aud: TEST_AUDIENCE }, { expiresIn: 300 })],
        ['another audience', sign({ sub: user.id, aud: 'another-app' }, { expiresIn: 300 })],
        ['no audience', sign({ sub: user.id }, { expiresIn: 300 })],
      ];
      for (const [what, token] of refused) {
        expect({ what, status: (await post({ plan: 'pro', success_url: 'https://a.example/', cancel_url: 'https://a.example/' }, token)).status }).toEqual({ what, status: 401 });
      }
      expect((await post({ plan: 'pro', success_url: 'https://a.example/', cancel_url: 'https://a.example/' }, bearer(user.id))).status).toBe(200);
    });

    it('creates a session for the signed-in user, and refuses bad input with 4xx codes', async () => {
      const user = await newUser();
      const ok = await post({ plan: 'pro', success_url: 'https://app.example.com/ok', cancel_url: 'https://app.example.com/no' }, bearer(user.id));
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ session_id: expect.stringMatching(/^cs_/), url: expect.stringMatching(/^https:/) });
      expect((await post({ plan: 'pro' }, bearer(user.id))).body.error).toBe('missing_redirect_url');
      expect((await post({ plan: 42 }, bearer(user.id))).body.error).toBe('invalid_request');
      const unknownPlan = await post({ plan: 'gold', success_url: 'https://a.example/', cancel_url: 'https://a.example/' }, bearer(user.id));
      expect(unknownPlan).toMatchObject({ status: 400, body: { error: 'unknown_plan' } });
      const unknownUser = await post({ plan: 'pro', success_url: 'https://a.example/', cancel_url: 'https://a.example/' }, bearer('00000000-0000-4000-8000-000000000001'));
      expect(unknownUser.status).toBe(404);
      const badJson = await request(`${gw}/api/payments/stripe/create-checkout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: bearer(user.id) },
        body: '{"plan":',
      });
      expect(badJson).toMatchObject({ status: 400, body: { error: 'malformed_payload' } });
    });

    it('sends the payer back only to allowed origins', async () => {
      const user = await newUser();
      for (const [success, cancel] of [
        ['https://evil.example/ok', 'https://app.example.com/no'],
        ['https://app.example.com/ok', 'http://app.example.com/no'],
        ['https://app.example.com.evil.example/ok', 'https://app.example.com/no'],
        ['https://app.example.com:8443/ok', 'https://app.example.com/no'],
      ]) {
        const r = await post({ plan: 'pro', success_url: success, cancel_url: cancel }, bearer(user.id));
        expect(r).toMatchObject({ status: 400, body: { error: 'redirect_not_allowed' } });
      }
      expect((await post({ plan: 'pro', success_url: 'https://a.example/x?y=1', cancel_url: 'https://app.example.com/' }, bearer(user.id))).status).toBe(200);
    });
  });
});
