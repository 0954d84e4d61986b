import { startBillingHarness, type BillingHarness, type CollectedSpan } from '@tbot/local-stack/dist/testing';
import { connect, type Msg } from 'nats';
import { billingClient, outcomeOf, postStripe } from './support/clients';
import { event, nextId, subscriptionNew } from './support/stripe-events';

// OTLP span kinds
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('one trace from the webhook to the NATS event', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness();
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('links gateway HTTP, gRPC client and server, MongoDB and the NATS publish in one trace, and the message carries it', async () => {
    const billing = billingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('t')}@example.com` });
    const nc = await connect({ servers: h.stack.natsUrl });
    const messages: Msg[] = [];
    const sub = nc.subscribe('billing.subscription.activated');
    void (async () => {
      for await (const m of sub) if (new TextDecoder().decode(m.data).includes(user.id)) messages.push(m);
    })();
    try {
      const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));
      const res = await postStripe(h.stack.gatewayUrl, e);
      expect(res.body.status).toBe('accepted');
      expect(await outcomeOf(h.stack, `stripe:${e.id}`)).toBe('applied');

      const span = (pred: (s: CollectedSpan) => boolean) => h.collector.spans.find(pred);
      const subject = 'webhooks.stripe.customer.subscription.created';
      const store = await eventually('gateway publish span', () =>
        span((s) => s.service === 'gateway' && s.kind === PRODUCER && s.name === `${subject} publish` && s.attributes['messaging.message.id'] === `stripe:${e.id}`),
      );
      const traceId = store.traceId;
      const httpSpan = await eventually('gateway HTTP server span', () =>
        span((s) => s.service === 'gateway' && s.kind === SERVER && s.traceId === traceId && !s.parentSpanId),
      );
      expect(httpSpan.attributes['http.route'] ?? httpSpan.name).toContain('/api/payments/stripe/webhook');
      const apply = await eventually('billing consumer span', () =>
        span((s) => s.service === 'billing' && s.kind === CONSUMER && s.name === `${subject} process` && s.traceId === traceId),
      );
      expect(apply.parentSpanId).toBe(store.spanId);
      const mongo = await eventually('a MongoDB span in the trace', () =>
        span((s) => s.service === 'billing' && s.traceId === traceId && (s.attributes['db.system'] ?? s.attributes['db.system.name']) === 'mongodb'),
      );
      expect(mongo.kind).toBe(CLIENT);
      const publish = await eventually('NATS publish span', () =>
        span((s) => s.service === 'billing' && s.kind === PRODUCER && s.name === 'billing.subscription.activated publish' && s.traceId === traceId),
      );
      expect(publish.attributes).toMatchObject({ 'messaging.system': 'nats', 'messaging.destination.name': 'billing.subscription.activated' });

      const msg = await eventually('the NATS message', () => messages[0]);
      expect(msg.headers?.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-${publish.spanId}-0[01]$`));
      expect(msg.headers?.get('Nats-Msg-Id')).toMatch(/^stripe:evt_\w+$/);

      // Probes are not traced.
      expect(h.collector.spans.filter((s) => s.name.startsWith('grpc.health.v1'))).toEqual([]);
      // Log lines carry the trace id too, so a trace in Jaeger leads to its logs.
      expect(h.logs.some((l) => l.startsWith('billing') && l.includes(`"trace_id":"${traceId}"`))).toBe(true);
      expect(h.logs.some((l) => l.startsWith('gateway') && l.includes(`"trace_id":"${traceId}"`) && l.includes('webhook stored'))).toBe(true);
    } finally {
      await nc.close();
    }
  });
});
