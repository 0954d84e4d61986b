import { spawnSync } from 'node:child_process';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, Health, HealthCheckResponse_ServingStatus, type ServiceName, signServiceToken, TradingService } from '@tbot/common';
import { SERVICES } from '@tbot/local-stack';
import { createProTrader, startBillingHarness, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { bearer, billingClient, postAlert, request, tradingClient } from './support/clients';

// Billing and trading as real processes: only the services that may call them get in.

const NO_USER = '00000000-0000-4000-8000-000000000000';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return Code[ConnectError.from(err).code]!;
  }
}

describe('internal calls need a service token', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { gateway: { ALLOWED_REDIRECT_ORIGINS: 'https://example.com' } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const token = (issuer: ServiceName, audience: string, opts: { secret?: string; nowMs?: number } = {}) =>
    `Bearer ${signServiceToken({ secret: opts.secret ?? h.stack.serviceTokenSecret, issuer, audience, nowMs: opts.nowMs })}`;

  const cases = [
    {
      service: 'billing',
      url: () => h.stack.billingUrl,
      call: (authorization?: string) =>
        createClient(BillingService, createGrpcTransport({ baseUrl: h.stack.billingUrl })).getUser(
          { userId: NO_USER },
          authorization ? { headers: { authorization } } : {},
        ),
      // Billing calls nobody's billing: a token claiming to be billing is not a caller it knows.
      notAllowed: 'billing' as const,
    },
    {
      service: 'trading',
      url: () => h.stack.tradingUrl,
      call: (authorization?: string) =>
        createClient(TradingService, createGrpcTransport({ baseUrl: h.stack.tradingUrl })).getRiskProfile(
          { userId: NO_USER },
          authorization ? { headers: { authorization } } : {},
        ),
      // Trading calls billing, never trading: a real, signed token that is still refused.
      notAllowed: 'trading' as const,
    },
  ];

  describe.each(cases)('$service', ({ service, url, call, notAllowed }) => {
    it('answers Unauthenticated without a token', async () => {
      expect(await codeOf(call())).toBe('Unauthenticated');
      expect(await codeOf(call('Basic Z2F0ZXdheTp4'))).toBe('Unauthenticated');
    });

    it('answers Unauthenticated to a bad token: garbage, another secret, expired, for another service', async () => {
      expect(await codeOf(call('Bearer not-a-token'))).toBe('Unauthenticated');
      expect(await codeOf(call(token('gateway', service, { secret: 'x'.repeat(64) })))).toBe('Unauthenticated');
      expect(await codeOf(call(token('gateway', service, { nowMs: Date.now() - 3_600_000 })))).toBe('Unauthenticated');
      expect(await codeOf(call(token('gateway', service === 'billing' ? 'trading' : 'billing')))).toBe('Unauthenticated');
    });

    it('answers PermissionDenied to a valid token from a caller that may not call it', async () => {
      expect(await codeOf(call(token(notAllowed, service)))).toBe('PermissionDenied');
    });

    it('lets the gateway through (the call itself then answers)', async () => {
      expect(await codeOf(call(token('gateway', service)))).toMatch(/^(OK|NotFound)$/);
    });

    it('keeps grpc.health.v1 open for probes', async () => {
      const health = createClient(Health, createGrpcTransport({ baseUrl: url() }));
      await expect(health.check({ service: '' })).resolves.toMatchObject({ status: HealthCheckResponse_ServingStatus.SERVING });
    });
  });

  it('lets the gateway and trading through on the real flows', async () => {
    const ready = await request(`${h.stack.gatewayOpsUrl}/readyz`);
    expect(ready.body.checks).toMatchObject({ billing: 'serving', trading: 'serving' });
    // Gateway → billing: checkout for a signed-in user.
    const user = await billingClient(h.stack).createUser({ email: `auth-${Date.now()}@example.com` });
    const checkout = await request(`${h.stack.gatewayUrl}/api/payments/stripe/create-checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: bearer(user.id) },
      body: JSON.stringify({ plan: 'pro', success_url: 'https://example.com/ok', cancel_url: 'https://example.com/no' }),
    });
    expect(checkout.status).toBe(200);
    // Gateway → trading → billing (the entitlement check): an alert of a pro user is executed.
    const trader = await createProTrader(h.stack, 'auth');
    await tradingClient(h.stack).setRiskProfile({
      userId: trader.id,
      profile: { tradingEnabled: true, sizingMode: 'fixed_quote', sizingValue: 100, closeOppositeFirst: true, maxOrderNotional: 10_000 },
    });
    const alert = await postAlert(h.stack.gatewayUrl, trader.id, { symbol: 'BTCUSDT', action: 'buy', price: '37000', secret: trader.secret, id: `auth-${Date.now()}` });
    expect(alert.status).toBe(200);
    expect(alert.body).toMatchObject({ status: 'success' });
  });
});

describe('a service without SERVICE_TOKEN_SECRET', () => {
  it.each(['billing', 'trading', 'gateway'] as const)('%s refuses to start and says why', (name) => {
    const res = spawnSync(process.execPath, [SERVICES[name]], {
      env: {
        ...process.env,
        SERVICE_TOKEN_SECRET: '',
        OTEL_SDK_DISABLED: 'true',
        MONGODB_URI: 'mongodb://127.0.0.1:9/none',
        EXCHANGE_KEYS_MASTER_KEY: '9f'.repeat(32),
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(res.status).not.toBe(0);
    expect(`${res.stdout}${res.stderr}`).toContain('SERVICE_TOKEN_SECRET is required but not set');
  });
});
