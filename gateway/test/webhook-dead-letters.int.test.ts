import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import mongoose from 'mongoose';
import { connect, type Msg } from 'nats';
import { billingClient, outcomeOf, postStripe, request, webhooks } from './support/clients';
import { event, nextId, subscriptionNew } from './support/stripe-events';
import { until } from './support/until';

const run = promisify(execFile);


const CLI = path.resolve(__dirname, '..', '..', 'services', 'billing', 'dist', 'cli', 'webhooks.js');

describe('webhooks that cannot be applied: dead letters and replay', () => {
  let h: BillingHarness;
  let db: mongoose.Connection;

  const cli = async (args: string[]) =>
    (await run(process.execPath, [CLI, ...args], { env: { ...process.env, BILLING_URL: h.stack.billingUrl, SERVICE_TOKEN_SECRET: h.stack.serviceTokenSecret } })).stdout;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { billing: { WEBHOOK_MAX_DELIVER: '3' } } });
    db = await mongoose.createConnection(h.stack.mongoUri).asPromise();
  });
  afterAll(async () => {
    await db?.close();
    await h?.stop();
  });

  it('dead-letters a poison event after WEBHOOK_MAX_DELIVER attempts, announces it, and applies it on replay once the cause is fixed', async () => {
    const billing = billingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('d')}@example.com` });
    // A user record damaged by hand: no subscription state can be written into it.
    await db.collection('users').updateOne({ _id: user.id as never }, { $set: { subscription: 'damaged' } });

    const nc = await connect({ servers: h.stack.natsUrl });
    const announced: Msg[] = [];
    const sub = nc.subscribe('deadletters.webhooks.>');
    void (async () => {
      for await (const m of sub) announced.push(m);
    })();
    try {
      const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
      const res = await postStripe(h.stack.gatewayUrl, e);
      expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
      const key = `stripe:${e.id}`;
      expect(await outcomeOf(h.stack, key, 30_000)).toBe('dead_letter');

      const dead = await billing.getWebhookEvent({ eventKey: key });
      expect(dead).toMatchObject({ state: 'dead_letter', provider: 'stripe', type: 'customer.subscription.created', attempts: 3 });
      expect(dead.lastError).not.toBe('');
      expect(dead.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.parse(dead.payload)).toEqual(e);
      expect((await billing.listDeadLetters({ provider: 'stripe' })).events.map((x) => x.eventKey)).toContain(key);
      const note = await until('the dead-letter announcement', async () => announced.find((m) => m.subject === 'deadletters.webhooks.stripe'));
      expect(JSON.parse(new TextDecoder().decode(note.data))).toMatchObject({ event_key: key, provider: 'stripe', attempts: 3 });
      const metrics = (await request(h.stack.billingMetricsUrl)).body as string;
      expect(metrics).toMatch(/webhook_dead_letters_total\{provider="stripe"\} 1/);

      // The operator repairs the record and replays the event: it is applied, once.
      await db.collection('users').updateOne({ _id: user.id as never }, { $set: { subscription: { plan: 'free', status: 'none' } } });
      // Through the operator CLI, as the README shows it.
      const listed = await cli(['list-dead', '--provider', 'stripe']);
      expect(listed.split('\n').filter(Boolean).map((l) => JSON.parse(l).event_key)).toContain(key);
      expect(JSON.parse(await cli(['replay', key]))).toEqual({ replayed: 1 });
      await until('the replayed event to be applied', async () => ((await billing.getWebhookEvent({ eventKey: key })).state === 'done' ? true : undefined));
      expect((await billing.getUser({ userId: user.id })).subscription).toMatchObject({ plan: 'pro', status: 'active' });
      // Replaying an applied event changes nothing.
      expect(await billing.replayDeadLetters({ provider: 'stripe' })).toMatchObject({ count: 0 });
      await expect(billing.replayWebhookEvent({ eventKey: 'stripe:evt_never_seen' })).rejects.toThrow(/no dead letter/);
    } finally {
      await nc.close();
    }
  });

  it('re-delivers a time range from the stream through the same ledger: nothing applied twice', async () => {
    const billing = billingClient(h.stack);
    const deliver = webhooks(h.stack);
    const user = await billing.createUser({ email: `${nextId('r')}@example.com` });
    const since = new Date(Date.now() - 1000);
    const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
    expect(await deliver.stripe(e)).toBe('applied');
    const nc = await connect({ servers: h.stack.natsUrl });
    const seen: string[] = [];
    const sub = nc.subscribe('billing.>');
    void (async () => {
      for await (const m of sub) if (new TextDecoder().decode(m.data).includes(user.id)) seen.push(m.subject);
    })();
    try {
      const { count } = await billing.redeliverWebhooks({ provider: 'stripe', since: { seconds: BigInt(Math.floor(since.getTime() / 1000)), nanos: 0 } });
      expect(count).toBeGreaterThanOrEqual(1);
      const metrics = async () => (await request(h.stack.billingMetricsUrl)).body as string;
      await until('the re-delivered event to be seen as a duplicate', async () =>
        /webhook_events_applied_total\{provider="stripe",event_type="customer.subscription.created",outcome="duplicate"\} [1-9]/.test(await metrics()) ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect(seen).toEqual([]);
      expect((await billing.getWebhookEvent({ eventKey: `stripe:${e.id}` })).state).toBe('done');
    } finally {
      await nc.close();
    }
  });
});
