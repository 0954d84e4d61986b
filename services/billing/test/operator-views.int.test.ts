import { Code } from '@connectrpc/connect';
import { Outcome } from '@tbot/common';
import { stackBillingClient, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';

// The operator's views of billing on the real stack: users a page at a time, the webhook
// inbox by state and provider (keyset pages), and the counts of the last hour.

jest.setTimeout(120_000);

describe('operator views: ListUsers, ListWebhookEvents, GetWebhookStats', () => {
  let h: BillingHarness;
  const run = `${Date.now().toString(36)}`;

  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const billing = () => stackBillingClient(h.stack, { timeoutMs: 20_000 });
  const paid = (id: string, userId: string) =>
    Buffer.from(
      JSON.stringify({
        id,
        object: 'event',
        type: 'payment_intent.succeeded',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: `pi_${id}`, object: 'payment_intent', amount: 500, amount_received: 500, currency: 'usd', metadata: { user_id: userId } } },
      }),
    );

  it('pages through every user, newest first, none twice', async () => {
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await billing().createUser({ email: `ops-${run}-${i}@example.com` }));
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await billing().listUsers({ pageSize: 2, pageToken: token });
      expect(page.users.length).toBeLessThanOrEqual(2);
      seen.push(...page.users.map((u) => u.id));
      token = page.nextPageToken;
      pages++;
    } while (token && pages < 100);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    for (const u of made) expect(seen).toContain(u.id);
    // Newest first: the last one made comes before the first one.
    expect(seen.indexOf(made[2]!.id)).toBeLessThan(seen.indexOf(made[0]!.id));
    const first = (await billing().listUsers({ pageSize: 1 })).users[0]!;
    expect(first).toMatchObject({ id: made[2]!.id, email: `ops-${run}-2@example.com`, subscription: { plan: 'free', status: 'none' } });
    expect(first.createdAt).toBeDefined();
  });

  it('lists applied events by provider, a page at a time, without payloads', async () => {
    const user = await billing().createUser({ email: `inbox-${run}@example.com` });
    const ids = [0, 1, 2].map((i) => `evt_inbox_${run}_${i}`);
    for (const id of ids) expect((await billing().applyStripeEvent({ payload: paid(id, user.id) })).outcome).toBe(Outcome.APPLIED);
    const one = await billing().listWebhookEvents({ provider: 'stripe', state: 'done', pageSize: 2 });
    expect(one.events).toHaveLength(2);
    expect(one.nextPageToken).not.toBe('');
    const two = await billing().listWebhookEvents({ provider: 'stripe', state: 'done', pageSize: 2, pageToken: one.nextPageToken });
    const keys = [...one.events, ...two.events].map((e) => e.eventKey);
    expect(keys.slice(0, 3)).toEqual(ids.map((id) => `stripe:${id}`).reverse());
    expect(one.events[0]).toMatchObject({ provider: 'stripe', type: 'payment_intent.succeeded', state: 'done', outcome: Outcome.APPLIED, userId: user.id, payload: '' });
    // Another provider's list does not have them; an empty state means done.
    expect((await billing().listWebhookEvents({ provider: 'paystack' })).events.map((e) => e.eventKey)).not.toContain(`stripe:${ids[0]}`);
    expect((await billing().listWebhookEvents({ pageSize: 1 })).events[0]?.eventKey).toBe(`stripe:${ids[2]}`);
    expect((await billing().listWebhookEvents({ state: 'dead_letter' })).events).toEqual([]);
    expect((await billing().listWebhookEvents({ state: 'processing' })).events).toEqual([]);
  });

  it('counts the last hour', async () => {
    const before = await billing().getWebhookStats({});
    const user = await billing().createUser({ email: `stats-${run}@example.com` });
    await billing().applyStripeEvent({ payload: paid(`evt_stats_${run}`, user.id) });
    const after = await billing().getWebhookStats({});
    expect(after).toMatchObject({ windowMinutes: 60, failed: 0, failureRate: 0, deadLetters: 0, backlogAgeSeconds: 0 });
    expect(after.received).toBe(before.received + 1);
    expect((await billing().getWebhookStats({ windowMinutes: 5 })).windowMinutes).toBe(5);
  });

  it('refuses a bad state, provider, page token or window (INVALID_ARGUMENT)', async () => {
    for (const call of [
      () => billing().listWebhookEvents({ state: 'lost' }),
      () => billing().listWebhookEvents({ provider: 'adyen' }),
      () => billing().listWebhookEvents({ pageToken: 'garbage!' }),
      () => billing().listUsers({ pageToken: Buffer.from('x|y').toString('base64url') }),
      () => billing().getWebhookStats({ windowMinutes: 5000 }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: Code.InvalidArgument });
    }
  });
});
