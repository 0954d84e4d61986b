import { randomUUID } from 'node:crypto';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { bearer, billingClient, outcomeOf, postStripe, request, type Answer } from './support/clients';
import { event, nextId, subscriptionNew } from './support/stripe-events';
import { until } from './support/until';

// The operator's routes of /api/v1 against the real services: the webhook inbox by state and
// provider, the last hour's counts, replaying a dead letter, and users with their plans.

jest.setTimeout(180_000);

const operator = (roles: unknown = ['operator']) => bearer(randomUUID(), undefined, 300, { roles });

describe('/api/v1/ops', () => {
  let h: BillingHarness;
  let db: mongoose.Connection;

  const api = (path: string, auth: string | null = operator(), method = 'GET'): Promise<Answer> =>
    request(`${h.stack.gatewayUrl}/api/v1${path}`, { method, headers: auth ? { authorization: auth } : {} });

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { billing: { WEBHOOK_MAX_DELIVER: '2' } } });
    db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
  });
  afterAll(async () => {
    await db?.close();
    await h?.stop();
  });

  const routes: Array<[string, string]> = [
    ['GET', '/ops/webhooks'],
    ['GET', '/ops/webhooks/stats'],
    ['POST', '/ops/webhooks/stripe:evt_x/replay'],
    ['GET', '/ops/users'],
  ];

  it('answers 401 without a token and 403 without the operator role', async () => {
    for (const [method, path] of routes) {
      expect([path, (await api(path, null, method)).status]).toEqual([path, 401]);
      const plain = await api(path, bearer(randomUUID()), method);
      expect([path, plain.status, plain.body.error]).toEqual([path, 403, 'forbidden']);
      expect([path, (await api(path, operator(['trader']), method)).status]).toEqual([path, 403]);
    }
  });

  it('answers 400 with the bad fields named', async () => {
    const cases: Array<[string, string, Record<string, string>]> = [
      ['GET', '/ops/webhooks?state=lost', { state: expect.stringMatching(/^must be one of/) }],
      ['GET', '/ops/webhooks?provider=adyen&pageSize=500', { provider: expect.stringMatching(/^must be one of/), pageSize: 'must be at most 200' }],
      ['GET', '/ops/users?pageSize=0', { pageSize: 'must be at least 1' }],
      ['POST', '/ops/webhooks/adyen:1/replay', { eventKey: 'must be an event key (stripe:…, paystack:…)' }],
    ];
    for (const [method, path, fields] of cases) {
      const r = await api(path, operator(), method);
      expect([path, r.status, r.body]).toEqual([path, 400, expect.objectContaining({ error: 'invalid_request', fields })]);
    }
    // A page token that billing did not make is refused there.
    expect((await api('/ops/users?pageToken=nonsense')).status).toBe(400);
  });

  it('pages through users with their plans', async () => {
    const billing = billingClient(h.stack);
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await billing.createUser({ email: `${nextId('opsuser')}@example.com` }));
    const one = await api('/ops/users?pageSize=2');
    expect(one.status).toBe(200);
    expect(one.body.users).toHaveLength(2);
    expect(one.body.users[0]).toEqual({ userId: made[2]!.id, email: made[2]!.email, plan: 'free', status: 'none', createdAt: expect.any(String) });
    const two = await api(`/ops/users?pageSize=2&pageToken=${encodeURIComponent(one.body.nextPageToken)}`);
    expect(two.status).toBe(200);
    const seen = [...one.body.users, ...two.body.users].map((u: { userId: string }) => u.userId);
    expect(seen.slice(0, 3)).toEqual(made.map((u) => u.id).reverse());
  });

  it('lists applied webhooks by provider, a page at a time', async () => {
    const billing = billingClient(h.stack);
    const keys = [];
    for (let i = 0; i < 3; i++) {
      const user = await billing.createUser({ email: `${nextId('opshook')}@example.com` });
      const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
      expect((await postStripe(h.stack.gatewayUrl, e)).status).toBe(200);
      expect(await outcomeOf(h.stack, `stripe:${e.id}`, 30_000)).toBe('applied');
      keys.push(`stripe:${e.id}`);
    }
    const one = await api('/ops/webhooks?provider=stripe&state=done&pageSize=2');
    expect(one.status).toBe(200);
    expect(one.body.events).toHaveLength(2);
    expect(one.body.events[0]).toEqual({
      eventKey: keys[2],
      provider: 'stripe',
      type: 'customer.subscription.created',
      state: 'done',
      outcome: 'applied',
      userId: expect.any(String),
      detail: expect.any(String),
      receivedAt: expect.any(String),
      finishedAt: expect.any(String),
      attempts: 0,
      lastError: '',
      traceId: '',
    });
    const two = await api(`/ops/webhooks?provider=stripe&pageSize=2&pageToken=${encodeURIComponent(one.body.nextPageToken)}`);
    expect([...one.body.events, ...two.body.events].map((e: { eventKey: string }) => e.eventKey).slice(0, 3)).toEqual([...keys].reverse());
    expect((await api('/ops/webhooks?provider=paystack')).body.events.map((e: { eventKey: string }) => e.eventKey)).not.toContain(keys[0]);
  });

  it('shows a dead letter in the inbox and the stats, and replays it', async () => {
    const billing = billingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('opsdead')}@example.com` });
    // A user record damaged by hand: no subscription state can be written into it.
    await db.collection('users').updateOne({ _id: user.id as never }, { $set: { subscription: 'damaged' } });
    const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
    expect((await postStripe(h.stack.gatewayUrl, e)).status).toBe(200);
    const key = `stripe:${e.id}`;
    expect(await outcomeOf(h.stack, key, 30_000)).toBe('dead_letter');

    const dead = (await api('/ops/webhooks?state=dead_letter&provider=stripe')).body.events;
    expect(dead).toEqual([
      expect.objectContaining({ eventKey: key, state: 'dead_letter', type: 'customer.subscription.created', attempts: 2, lastError: expect.stringMatching(/.+/), traceId: expect.stringMatching(/^[0-9a-f]{32}$/) }),
    ]);
    const stats = await api('/ops/webhooks/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toEqual({
      windowMinutes: 60,
      received: expect.any(Number),
      failed: 1,
      failureRate: expect.any(Number),
      backlogAgeSeconds: expect.any(Number),
      deadLetters: 1,
      unmatched: expect.any(Number),
    });
    expect(stats.body.received).toBeGreaterThanOrEqual(2);
    expect(stats.body.failureRate).toBeCloseTo(1 / stats.body.received, 6);

    // The operator repairs the record and replays the event: it is applied, and leaves the dead letters.
    await db.collection('users').updateOne({ _id: user.id as never }, { $set: { subscription: { plan: 'free', status: 'none' } } });
    const replay = await api(`/ops/webhooks/${encodeURIComponent(key)}/replay`, operator(), 'POST');
    expect(replay).toMatchObject({ status: 200, body: { replayed: 1 } });
    await until('the replayed event to be applied', async () => ((await billing.getWebhookEvent({ eventKey: key })).state === 'done' ? true : undefined));
    expect((await billing.getUser({ userId: user.id })).subscription).toMatchObject({ plan: 'pro', status: 'active' });
    expect((await api('/ops/webhooks?state=dead_letter')).body.events).toEqual([]);
    expect((await api('/ops/webhooks/stats')).body.deadLetters).toBe(0);
    expect((await api('/ops/webhooks?state=done&pageSize=1')).body.events[0]).toMatchObject({ eventKey: key, outcome: 'applied' });

    const missing = await api('/ops/webhooks/stripe:evt_never_seen/replay', operator(), 'POST');
    expect(missing).toMatchObject({ status: 404 });
  });
});
