import * as path from 'node:path';
import { ensureNats, freePort, type Child } from '@tbot/local-stack';
import { startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { connect, type JsMsg } from 'nats';
import { Outcome, SignalStatus } from '@tbot/common';
import { billingClient, postAlert, postStripe, request, tradingClient, webhooks } from './support/clients';
import { event, nextId, nowSeconds, subscriptionNew } from './support/stripe-events';
import { until } from './support/until';

// A NATS of its own, so the test can take it down: a change committed while NATS is down
// is published once it is back (outbox), and never twice (ledger flag + Nats-Msg-Id).

async function streamMessages(natsUrl: string, stream = 'BILLING'): Promise<Array<{ subject: string; msgId: string; traceparent: string; data: any }>> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = nc.jetstream();
    const consumer = await js.consumers.get(stream); // ordered consumer from the start
    const out: Array<{ subject: string; msgId: string; traceparent: string; data: any }> = [];
    const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
    for await (const m of batch as AsyncIterable<JsMsg>) {
      out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '', traceparent: m.headers?.get('traceparent') ?? '', data: JSON.parse(new TextDecoder().decode(m.data)) });
    }
    return out;
  } finally {
    await nc.close();
  }
}


describe('billing events survive a NATS outage', () => {
  let h: BillingHarness;
  let natsUrl: string;
  let restarted: Child | undefined;

  beforeAll(async () => {
    natsUrl = `nats://127.0.0.1:${await freePort()}`;
    h = await startBillingHarness({
      env: { NATS_URL: natsUrl },
      serviceEnv: { billing: { OUTBOX_RELAY_INTERVAL_MS: '500' }, trading: { OUTBOX_RELAY_INTERVAL_MS: '500' } },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await restarted?.stop();
  });

  it('publishes a change made while NATS was down once NATS is back, exactly once', async () => {
    expect(h.stack.children.has('nats')).toBe(true); // the stack started this NATS
    const billing = billingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('n')}@example.com` });
    const id = nextId('sub');
    const t = nowSeconds() - 10;
    const activate = event('customer.subscription.created', subscriptionNew({ id, userId: user.id }), t);
    expect(await webhooks(h.stack).stripe(activate)).toBe('applied');
    await until('the activation on the stream', async () => ((await streamMessages(natsUrl)).length === 1 ? true : undefined));

    await h.stack.children.get('nats')!.stop();
    const notReady = await until('readiness to notice', async () => {
      const r = await request(`${h.stack.gatewayOpsUrl}/readyz`);
      return r.status === 503 ? r : undefined;
    });
    expect(notReady.body.checks.nats).toBe('not_serving');

    // Without JetStream the gateway cannot store a webhook: 503, so the provider resends.
    const cancel = event('customer.subscription.deleted', subscriptionNew({ id, userId: user.id, status: 'canceled' }), t + 1);
    const refused = await postStripe(h.stack.gatewayUrl, cancel);
    expect(refused).toMatchObject({ status: 503, body: { error: 'ingest_unavailable' } });
    expect(refused.headers.get('retry-after')).toBe('30');
    const metrics = (await request(`${h.stack.gatewayOpsUrl}/metrics`)).body as string;
    expect(metrics).toMatch(/webhook_publish_failures_total\{provider="stripe"\} [1-9]/);
    // A change billing makes while NATS is down (the synchronous RPC) is stored with its
    // event in the outbox.
    expect((await billing.applyStripeEvent({ payload: Buffer.from(JSON.stringify(cancel)) })).outcome).toBe(Outcome.APPLIED);
    expect((await billing.getUser({ userId: user.id })).subscription).toMatchObject({ plan: 'free', status: 'canceled' });

    restarted = await ensureNats(natsUrl, path.join(h.stack.dataDir, 'nats'), () => undefined);
    const messages = await until('the cancellation on the stream', async () => {
      const all = await streamMessages(natsUrl);
      return all.length >= 2 ? all : undefined;
    });
    // Give the relay and any buffered client publish time to (wrongly) publish again.
    await new Promise((r) => setTimeout(r, 3000));
    const settled = await streamMessages(natsUrl);
    expect(settled.map((m) => [m.subject, m.msgId])).toEqual([
      ['billing.subscription.activated', `stripe:${activate.id}`],
      ['billing.subscription.canceled', `stripe:${cancel.id}`],
    ]);
    expect(messages[1]!.data).toMatchObject({ user_id: user.id, plan: 'free', previous_plan: 'pro', status: 'canceled', event_id: `stripe:${cancel.id}` });
    // Published late by the relay, it still belongs to the trace of the call that caused it.
    const traceId = messages[1]!.traceparent.split('-')[1];
    await until('the call trace', async () =>
      h.collector.spans.some((sp) => sp.service === 'billing' && sp.traceId === traceId && sp.kind === 2) ? true : undefined,
    );
  });

  it('publishes trading events from an order placed while NATS was down, once NATS is back', async () => {
    const billing = billingClient(h.stack);
    const trading = tradingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('nt')}@example.com` });
    expect(await webhooks(h.stack).stripe(event('customer.subscription.created', subscriptionNew({ userId: user.id })))).toBe('applied');
    const { secret } = await trading.rotateWebhookSecret({ userId: user.id });

    await restarted!.stop();
    const alert = { symbol: 'BTCUSDT', action: 'buy', price: 37000, id: nextId('a'), secret };
    // The gateway cannot store an alert without JetStream: 503 and Retry-After, so TradingView resends.
    const refused = await postAlert(h.stack.gatewayUrl, user.id, alert);
    expect(refused).toMatchObject({ status: 503, body: { error: 'ingest_unavailable' } });
    expect(refused.headers.get('retry-after')).toBeTruthy();
    // An order placed meanwhile (here through SubmitSignal; also a resting order's fill or a paper stop).
    const res = await trading.submitSignal({ userId: user.id, body: new TextEncoder().encode(JSON.stringify(alert)), waitMs: 2500 });
    expect(res).toMatchObject({ status: SignalStatus.EXECUTED });
    const tradeId = res.tradeId;

    restarted = await ensureNats(natsUrl, path.join(h.stack.dataDir, 'nats'), () => undefined);
    const mine = async () => (await streamMessages(natsUrl, 'TRADING')).filter((m) => m.data.user_id === user.id);
    await until('the order events on the stream', async () => ((await mine()).length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2000));
    expect((await mine()).map((m) => [m.subject, m.msgId]).sort()).toEqual([
      ['trading.order.filled', `${tradeId}:filled`],
      ['trading.order.submitted', `${tradeId}:submitted`],
    ]);
  });
});
