import { startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { billingClient, postStripe, request } from './support/clients';
import { event, nextId, subscriptionNew } from './support/stripe-events';

describe('operating the gateway', () => {
  let h: BillingHarness;
  let gw: string;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { gateway: { WEBHOOK_MAX_BYTES: '8192' } } });
    gw = h.stack.gatewayUrl;
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers liveness, readiness with each dependency, and Prometheus metrics', async () => {
    expect(await request(`${gw}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await request(`${gw}/readyz`)).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { billing: 'serving', mongodb: 'serving', nats: 'serving' } },
    });
    const metrics = await request(`${gw}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE webhooks_received_total counter');
    expect(metrics.body).toContain('# TYPE webhook_processing_seconds histogram');
    // The service itself runs on Node 24 or later (prom-client reports process.version).
    const nodeMajor = Number(/nodejs_version_info\{[^}]*major="(\d+)"/.exec(metrics.body)?.[1]);
    expect(nodeMajor).toBeGreaterThanOrEqual(24);
  });

  it('answers unknown routes and oversized bodies with JSON 4xx codes', async () => {
    expect(await request(`${gw}/api/nope`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const big = await postStripe(gw, undefined, { raw: JSON.stringify({ pad: 'x'.repeat(10_000) }) });
    expect(big).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
  });

  it('answers 503 while billing is down, so the provider retries, and applies the retry once billing is back', async () => {
    const billing = billingClient(h.stack.billingUrl);
    const user = await billing.createUser({ email: `${nextId('o')}@example.com` });
    const e = event('customer.subscription.created', subscriptionNew({ userId: user.id }));

    const code = await h.stack.children.get('billing')!.stop();
    expect(code).toBe(0); // graceful SIGTERM shutdown
    expect(h.logs.some((l) => l.startsWith('billing') && l.includes('"msg":"stopped"'))).toBe(true);

    const down = await postStripe(gw, e);
    expect(down).toMatchObject({ status: 503, body: { error: 'upstream_unavailable' } });
    expect(down.headers.get('retry-after')).toBe('30');
    const notReady = await request(`${gw}/readyz`);
    expect(notReady).toMatchObject({ status: 503, body: { status: 'not_ready', checks: { billing: 'unreachable' } } });

    await h.stack.startService('billing');
    const deadline = Date.now() + 30_000;
    while ((await request(`${gw}/readyz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await postStripe(gw, e)).body.outcome).toBe('applied');
    expect((await postStripe(gw, e)).body.outcome).toBe('duplicate');
    expect((await billing.getUser({ userId: user.id })).subscription?.plan).toBe('pro');
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
