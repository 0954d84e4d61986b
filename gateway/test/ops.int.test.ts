import { gzipSync } from 'node:zlib';
import { startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { signStripePayload } from '../src/webhook-signatures/stripe';
import { billingClient, outcomeOf, postStripe, request } from './support/clients';
import { event, nextId, subscriptionNew } from './support/stripe-events';

describe('operating the gateway', () => {
  let h: BillingHarness;
  let gw: string;
  let ops: string;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { gateway: { WEBHOOK_MAX_BYTES: '8192' } } });
    gw = h.stack.gatewayUrl;
    ops = h.stack.gatewayOpsUrl;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers liveness, readiness with each dependency, and Prometheus metrics on the ops port', async () => {
    expect(await request(`${ops}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await request(`${ops}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { nats: 'serving', billing: 'serving', mongodb: 'serving', trading: 'serving' } },
    });
    const metrics = await request(`${ops}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE webhooks_received_total counter');
    expect(metrics.body).toContain('# TYPE webhook_processing_seconds histogram');
    expect(metrics.body).toContain('# TYPE webhook_publish_failures_total counter');
    // The service itself runs on Node 24 or later (prom-client reports process.version).
    const nodeMajor = Number(/nodejs_version_info\{[^}]*major="(\d+)"/.exec(metrics.body)?.[1]);
    expect(nodeMajor).toBeGreaterThanOrEqual(24);
  });

  it('keeps readiness and metrics off the public port (liveness stays on both)', async () => {
    for (const path of ['/readyz', '/metrics', '/readyz/', '/METRICS', '/metrics?x=1']) {
      expect({ path, ...(await request(`${gw}${path}`)) }).toMatchObject({ path, status: 404, body: { error: 'not_found' } });
    }
    expect(await request(`${gw}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    // The ops port serves nothing else: no API routes, no webhooks.
    expect(await request(`${ops}/api/nope`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const webhook = await fetch(`${ops}/api/payments/stripe/webhook`, { method: 'POST', body: '{}' });
    expect(webhook.status).toBe(404);
  });

  it('answers unknown routes and oversized bodies with JSON 4xx codes', async () => {
    expect(await request(`${gw}/api/nope`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const big = await postStripe(gw, undefined, { raw: JSON.stringify({ pad: 'x'.repeat(10_000) }) });
    expect(big).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
  });

  it('reads webhook bodies as Express would, and refuses what it cannot check with a 4xx', async () => {
    const url = `${gw}/api/payments/stripe/webhook`;
    const e = event('customer.subscription.created', subscriptionNew({ userId: 'u_framing' }));
    const raw = JSON.stringify(e);
    const headers = { 'content-type': 'application/json', 'stripe-signature': signStripePayload(raw, TEST_SECRETS.stripeWebhookSecrets[0]!) };
    // A compressed body: its signature cannot be checked as sent.
    const gz = await fetch(url, { method: 'POST', headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipSync(raw) });
    expect({ status: gz.status, body: await gz.json() }).toMatchObject({ status: 415, body: { error: 'unsupported_encoding' } });
    // Too large without a Content-Length (chunked): refused once the limit is passed.
    const chunked = await fetch(url, {
      method: 'POST',
      headers,
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 20; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect({ status: chunked.status, body: await chunked.json() }).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    // The same route with a trailing slash or in capitals, as Express matched it.
    for (const path of ['/api/payments/stripe/webhook/', '/API/Payments/Stripe/Webhook']) {
      const res = await fetch(`${gw}${path}`, { method: 'POST', headers, body: raw });
      expect({ status: res.status, body: await res.json() }).toMatchObject({ status: 200, body: { status: 'accepted', event_id: `stripe:${e.id}` } });
    }
    // Other methods are not webhooks.
    expect(await request(url)).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('accepts webhooks while billing is down and applies them once billing is back', async () => {
    const billing = billingClient(h.stack);
    const user = await billing.createUser({ email: `${nextId('o')}@example.com` });
    const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));

    const code = await h.stack.children.get('billing')!.stop();
    expect(code).toBe(0); // graceful SIGTERM shutdown
    expect(h.logs.some((l) => l.startsWith('billing') && l.includes('"msg":"stopped"'))).toBe(true);

    // Intake needs only JetStream: the gateway stays ready and stores the event.
    const ready = await request(`${ops}/readyz`);
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: { nats: 'serving', billing: 'unreachable' } } });
    expect(await postStripe(gw, e)).toMatchObject({ status: 200, body: { status: 'accepted', event_id: `stripe:${e.id}` } });

    await h.stack.startService('billing');
    expect(await outcomeOf(h.stack, `stripe:${e.id}`, 30_000)).toBe('applied');
    expect((await billing.getUser({ userId: user.id })).subscription?.plan).toBe('pro');
    const metrics = (await request(h.stack.billingMetricsUrl)).body as string;
    expect(metrics).toMatch(/webhook_events_applied_total\{provider="stripe",event_type="customer.subscription.created",outcome="applied"\} 1/);
    expect(metrics).toContain('# TYPE webhook_backlog_messages gauge');
    expect(metrics).toContain('# TYPE webhook_backlog_age_seconds gauge');
    expect(metrics).toContain('# TYPE webhook_apply_seconds histogram');
    expect(metrics).toContain('# TYPE webhook_dead_letters_total counter');
  });

  it('logs no secrets', () => {
    // Every secret the services were given (the Stripe key, both webhook secrets, Paystack, JWT, exchange master key).
    const secrets = [
      TEST_SECRETS.stripeSecretKey,
      ...TEST_SECRETS.stripeWebhookSecrets,
      TEST_SECRETS.paystackSecretKey,
      TEST_SECRETS.jwtSecret,
      TEST_SECRETS.exchangeKeysMasterKey,
    ];
    expect(h.logs.length).toBeGreaterThan(10);
    for (const s of secrets) {
      expect(h.logs.filter((l) => l.includes(s))).toEqual([]);
    }
  });
});
