import { createProTrader, stackBillingClient, startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';
import { randomBytes } from 'node:crypto';
import { api, bearer } from './support/clients';

// The trader routes of /api/v1 on the whole stack (gateway, billing, trading, notifications,
// stripe-mock, the fake Paystack and OKX): auth, validation messages per field, and each
// route doing what it says through the services.

jest.setTimeout(180_000);

const APP = 'https://app.example.com';

describe('API v1: trader routes', () => {
  let h: BillingHarness;
  let gw: string;
  let billing: ReturnType<typeof stackBillingClient>;
  const unique = () => randomBytes(6).toString('hex');

  beforeAll(async () => {
    h = await startBillingHarness({ notifications: true, serviceEnv: { gateway: { ALLOWED_REDIRECT_ORIGINS: APP } } });
    gw = h.stack.gatewayUrl;
    billing = stackBillingClient(h.stack, { timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await h?.stop();
  });

  const freeUser = async () => (await billing.createUser({ email: `api-${unique()}@example.com` })).id;

  it('serves the OpenAPI document, and every signed-in operation answers 401 without a token', async () => {
    const doc = await api(gw, 'GET', '/openapi.json', { auth: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.body.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ method, path, public: Array.isArray(op.security) && op.security.length === 0 })),
    );
    for (const p of ['/me', '/me/payments', '/me/checkout', '/me/subscription/cancel', '/tradingview', '/strategies/{id}', '/exchange/test', '/risk-profile', '/notifications/webhooks/{id}/test']) {
      expect(operations.map((o) => o.path)).toContain(p);
    }
    const fakeIds: Record<string, string> = { id: `stg_${'0'.repeat(32)}`, chatId: '1' };
    for (const op of operations.filter((o) => !o.public)) {
      const path = op.path.replace(/\{(\w+)\}/g, (_m, k: string) => fakeIds[k]!);
      const r = await api(gw, op.method.toUpperCase(), path, { auth: null, body: op.method === 'get' || op.method === 'delete' ? undefined : {} });
      expect([op.method, op.path, r.status, r.body.error]).toEqual([op.method, op.path, 401, 'missing_token']);
    }
    expect((await api(gw, 'GET', '/me', { auth: bearer(await freeUser(), 'another-secret-that-is-long-enough-000001') })).body.error).toBe('invalid_token');
    expect((await api(gw, 'GET', '/no-such-route', { auth: null })).status).toBe(404);
  });

  it('GET /me: the user, the subscription, the plans for sale, and the operator flag from the roles claim', async () => {
    const { id } = await createProTrader(h.stack, 'apime');
    const me = await api(gw, 'GET', '/me', { userId: id });
    expect(me.status).toBe(200);
    expect(me.headers.get('cache-control')).toBe('no-store');
    expect(me.body).toMatchObject({
      userId: id,
      email: expect.stringContaining('@example.com'),
      operator: false,
      subscription: { plan: 'pro', status: 'active', provider: 'stripe', cancelAtPeriodEnd: false, features: expect.arrayContaining(['auto_trading']) },
    });
    expect(me.body.plans).toEqual([
      { id: 'pro', name: 'Pro', amount: 15000, currency: 'NGN', interval: 'month', features: ['tradingview_webhooks', 'auto_trading'], providers: ['stripe', 'paystack'] },
      expect.objectContaining({ id: 'enterprise' }),
    ]);
    const op = await api(gw, 'GET', '/me', { auth: bearer(id, undefined, 300, { roles: ['operator'] }) });
    expect(op.body.operator).toBe(true);
    const payments = await api(gw, 'GET', '/me/payments', { userId: id });
    expect(payments).toMatchObject({ status: 200, body: { payments: expect.any(Array) } });
  });

  it('POST /me/checkout: a Stripe session URL or a Paystack page; bad provider, plan or return URL named per field', async () => {
    const id = await freeUser();
    const stripe = await api(gw, 'POST', '/me/checkout', { userId: id, body: { provider: 'stripe', plan: 'pro', successUrl: `${APP}/ok`, cancelUrl: `${APP}/no` } });
    expect(stripe).toMatchObject({ status: 200, body: { provider: 'stripe', url: expect.stringMatching(/^https?:\/\//) } });
    const paystack = await api(gw, 'POST', '/me/checkout', { userId: id, body: { provider: 'paystack', plan: 'pro' } });
    expect(paystack).toMatchObject({ status: 200, body: { provider: 'paystack', url: expect.stringMatching(/^https:\/\/checkout\.paystack\.com\//) } });
    const initialized = h.paystack.requests.filter((r) => r.path === '/transaction/initialize').at(-1);
    expect(initialized?.body).toMatchObject({ plan: 'PLN_pro_monthly', callback_url: `${gw}/api/payments/paystack/callback` });

    const bad = await api(gw, 'POST', '/me/checkout', { userId: id, body: { provider: 'paypal', plan: '' } });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_request', fields: { provider: 'must be one of: stripe, paystack', plan: 'must have at least 1 characters' } } });
    const evil = await api(gw, 'POST', '/me/checkout', { userId: id, body: { provider: 'stripe', plan: 'pro', successUrl: 'https://evil.example/x', cancelUrl: `${APP}/no` } });
    expect(evil).toMatchObject({ status: 400, body: { fields: { successUrl: expect.stringContaining('not an allowed origin') } } });
    const unknownPlan = await api(gw, 'POST', '/me/checkout', { userId: id, body: { provider: 'paystack', plan: 'platinum' } });
    expect(unknownPlan).toMatchObject({ status: 400, body: { error: 'invalid_request', fields: { plan: expect.stringContaining('platinum') } } });
  });

  it('POST /me/subscription/cancel: cancel at period end through Stripe; 409 no_subscription for a free user', async () => {
    const { id } = await createProTrader(h.stack, 'apicancel');
    const r = await api(gw, 'POST', '/me/subscription/cancel', { userId: id });
    expect(r).toMatchObject({ status: 200, body: { plan: 'pro', provider: 'stripe', cancelAtPeriodEnd: true } });
    expect((await api(gw, 'GET', '/me', { userId: id })).body.subscription.cancelAtPeriodEnd).toBe(true);
    expect(await api(gw, 'POST', '/me/subscription/cancel', { userId: await freeUser() })).toMatchObject({ status: 409, body: { error: 'no_subscription' } });
  });

  it('TradingView: webhook URL and message; rotating shows the secret once, inside a ready-to-paste message', async () => {
    const { id } = await createProTrader(h.stack, 'apitv');
    const tv = await api(gw, 'GET', '/tradingview', { userId: id });
    expect(tv.status).toBe(200);
    expect(tv.body.webhookUrl).toBe(`${gw}/api/tradingview/webhook/${id}`);
    expect(JSON.parse(tv.body.messageTemplate)).toMatchObject({ symbol: '{{ticker}}', action: '{{strategy.order.action}}' });
    const rotated = await api(gw, 'POST', '/tradingview/secret/rotate', { userId: id });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ secret: expect.any(String), signingKey: expect.any(String), webhookUrl: tv.body.webhookUrl, previousValidUntil: expect.any(String) });
    expect(JSON.parse(rotated.body.messageTemplate).secret).toBe(rotated.body.secret);
    // The message as pasted works: TradingView posts it to the URL.
    await h.okx.setPrice('BTC-USDT', 37_000);
    const message = JSON.parse(rotated.body.messageTemplate);
    const alert = { ...message, symbol: 'BTCUSDT', action: 'buy', price: '37000', quantity: '0.001', market_position: 'long', id: `tv-${unique()}`, timestamp: new Date().toISOString() };
    const posted = await fetch(rotated.body.webhookUrl, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(alert) });
    expect(posted.status).not.toBe(401);
  });

  it('strategies: create (secret once), read, list, rename, rotate, delete; per-field messages; 404 for another user\u2019s', async () => {
    const { id } = await createProTrader(h.stack, 'apistg');
    const bad = await api(gw, 'POST', '/strategies', { userId: id, body: { name: '', defaults: { action: 'hodl' }, riskOverrides: { maxLeverage: 500 }, color: 'red' } });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', fields: { name: 'must have at least 1 characters', 'defaults.action': expect.stringMatching(/^must be one of: buy, sell/), 'riskOverrides.maxLeverage': 'must be between 1 and 125', color: 'is not a known field' } },
    });
    const created = await api(gw, 'POST', '/strategies', { userId: id, body: { name: 'momentum', defaults: { symbol: 'BTCUSDT', orderType: 'market' }, riskOverrides: { maxLeverage: 5, tradingEnabled: true } } });
    expect(created.status).toBe(201);
    const s = created.body.strategy;
    expect(s).toMatchObject({ id: expect.stringMatching(/^stg_[0-9a-f]{32}$/), name: 'momentum', enabled: true, defaults: { symbol: 'BTCUSDT', orderType: 'market' }, riskOverrides: { maxLeverage: 5, tradingEnabled: true } });
    expect(s.webhookUrl).toBe(`${gw}/api/tradingview/webhook/${s.id}`);
    expect(JSON.parse(s.messageTemplate).secret).toBe(created.body.secret);
    const duplicate = await api(gw, 'POST', '/strategies', { userId: id, body: { name: 'momentum' } });
    expect(duplicate.status).toBe(409);

    const listed = await api(gw, 'GET', '/strategies', { userId: id });
    expect(listed.body.strategies.map((x: { id: string }) => x.id)).toEqual([s.id]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect((await api(gw, 'GET', `/strategies/${s.id}`, { userId: id })).body).toMatchObject({ id: s.id, name: 'momentum' });
    expect((await api(gw, 'GET', '/tradingview', { userId: id })).body.strategies).toHaveLength(1);
    expect(await api(gw, 'GET', '/strategies/not-an-id', { userId: id })).toMatchObject({ status: 400, body: { fields: { id: expect.stringContaining('strategy id') } } });
    expect((await api(gw, 'GET', `/strategies/${s.id}`, { userId: await freeUser() })).status).toBe(404);

    const patched = await api(gw, 'PATCH', `/strategies/${s.id}`, { userId: id, body: { name: 'breakout', riskOverrides: { tradingEnabled: false } } });
    expect(patched).toMatchObject({ status: 200, body: { name: 'breakout', enabled: false, riskOverrides: { tradingEnabled: false }, defaults: { symbol: 'BTCUSDT' } } });
    expect((await api(gw, 'PATCH', `/strategies/${s.id}`, { userId: id, body: { riskOverrides: { cooldownSeconds: -1 } } })).body.fields).toEqual({ 'riskOverrides.cooldownSeconds': 'must be at least 0' });

    const rotated = await api(gw, 'POST', `/strategies/${s.id}/secret/rotate`, { userId: id });
    expect(rotated).toMatchObject({ status: 200, body: { webhookUrl: s.webhookUrl, secret: expect.any(String) } });
    expect(rotated.body.secret).not.toBe(created.body.secret);

    expect((await api(gw, 'DELETE', `/strategies/${s.id}`, { userId: id })).status).toBe(204);
    expect((await api(gw, 'GET', `/strategies/${s.id}`, { userId: id })).status).toBe(404);
    expect((await api(gw, 'DELETE', `/strategies/${s.id}`, { userId: id })).status).toBe(404);
  });

  it('exchange: paper by default; keys are write-only; a connection test reads the OKX balance and sets the key status', async () => {
    const id = await freeUser();
    expect((await api(gw, 'GET', '/exchange', { userId: id })).body).toEqual({ exchange: 'okx', mode: 'paper', keyStatus: 'not_set' });
    const missing = await api(gw, 'PUT', '/exchange', { userId: id, body: { mode: 'okx-demo', apiKey: 'k' } });
    expect(missing).toMatchObject({ status: 400, body: { fields: { apiSecret: 'is required for mode okx-demo', passphrase: 'is required for mode okx-demo' } } });
    expect((await api(gw, 'PUT', '/exchange', { userId: id, body: { mode: 'binance' } })).body.fields).toEqual({ mode: 'must be one of: paper, okx-demo, okx' });

    h.okx.setBalance('USDT', 4321);
    const saved = await api(gw, 'PUT', '/exchange', {
      userId: id,
      body: { mode: 'okx-demo', apiKey: TEST_SECRETS.okx.apiKey, apiSecret: TEST_SECRETS.okx.secret, passphrase: TEST_SECRETS.okx.passphrase },
    });
    expect(saved).toMatchObject({ status: 200, body: { exchange: 'okx', mode: 'okx-demo', apiKeyHint: TEST_SECRETS.okx.apiKey.slice(-4), keyStatus: 'unchecked' } });
    for (const secret of [TEST_SECRETS.okx.apiKey, TEST_SECRETS.okx.secret, TEST_SECRETS.okx.passphrase]) expect(JSON.stringify(saved.body)).not.toContain(secret);

    const test = await api(gw, 'POST', '/exchange/test', { userId: id });
    expect(test).toMatchObject({ status: 200, body: { ok: true } });
    expect(test.body.balances).toContainEqual({ currency: 'USDT', total: 4321, free: 4321 });
    expect((await api(gw, 'GET', '/exchange', { userId: id })).body).toMatchObject({ keyStatus: 'ok', checkedAt: expect.any(String) });

    await api(gw, 'PUT', '/exchange', { userId: id, body: { mode: 'okx-demo', apiKey: 'okx-key-that-okx-never-made', apiSecret: 's', passphrase: 'p' } });
    expect((await api(gw, 'POST', '/exchange/test', { userId: id })).body).toMatchObject({ ok: false, code: 'keys_rejected', balances: [] });
    expect((await api(gw, 'GET', '/exchange', { userId: id })).body).toMatchObject({ keyStatus: 'rejected', rejectedCode: '50111' });
    expect((await api(gw, 'PUT', '/exchange', { userId: id, body: { mode: 'paper' } })).body).toEqual({ exchange: 'okx', mode: 'paper', keyStatus: 'not_set' });
  });

  it('risk profile: defaults, every bad field at once, partial updates, null clears a limit, the service\u2019s own rules per field', async () => {
    const id = await freeUser();
    const initial = await api(gw, 'GET', '/risk-profile', { userId: id });
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ sizingMode: expect.any(String), allowedSymbols: [], marginMode: 'cross' });
    const bad = await api(gw, 'PUT', '/risk-profile', { userId: id, body: { maxLeverage: 500, sizingMode: 'yolo', allowedSymbols: ['BTC/USDT', 'btc'], maxOpenPositions: 1.5, tradingEnabled: 'yes' } });
    expect(bad).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_request',
        fields: {
          maxLeverage: 'must be between 1 and 125',
          sizingMode: 'must be one of: fixed_base, fixed_quote, percent_equity, risk_percent',
          'allowedSymbols.1': 'must be a unified symbol such as BTC/USDT or BTC/USDT:USDT',
          maxOpenPositions: 'must be an integer',
          tradingEnabled: 'must be a boolean',
        },
      },
    });
    const saved = await api(gw, 'PUT', '/risk-profile', { userId: id, body: { tradingEnabled: true, maxLeverage: 10, maxOrderNotional: 500, allowedSymbols: ['BTC/USDT'] } });
    expect(saved).toMatchObject({ status: 200, body: { tradingEnabled: true, maxLeverage: 10, maxOrderNotional: 500, allowedSymbols: ['BTC/USDT'] } });
    const cleared = await api(gw, 'PUT', '/risk-profile', { userId: id, body: { maxOrderNotional: null } });
    expect(cleared.body).toMatchObject({ maxOrderNotional: null, maxLeverage: 10, tradingEnabled: true });
    expect((await api(gw, 'GET', '/risk-profile', { userId: id })).body).toEqual(cleared.body);
    expect((await api(gw, 'PUT', '/risk-profile', { userId: id, body: { sizingMode: 'percent_equity', sizingValue: 150 } })).body.fields).toEqual({ sizingValue: 'a percentage must be at most 100' });
    // Only the service sees the whole profile: percent mode saved, then a value over 100 alone.
    await api(gw, 'PUT', '/risk-profile', { userId: id, body: { sizingMode: 'percent_equity', sizingValue: 10 } });
    const merged = await api(gw, 'PUT', '/risk-profile', { userId: id, body: { sizingValue: 150 } });
    expect(merged).toMatchObject({ status: 400, body: { error: 'invalid_request', fields: { sizingValue: expect.stringContaining('at most 100') } } });
  });

  it('notifications: preferences, email, channels, webhook endpoints; bad input per field', async () => {
    const id = await freeUser();
    const prefs = await api(gw, 'GET', '/notifications/preferences', { userId: id });
    expect(prefs.status).toBe(200);
    const first = prefs.body.preferences[0];
    expect(first).toMatchObject({ eventType: expect.any(String), channel: expect.any(String), mode: expect.any(String), isDefault: true });
    const badPrefs = await api(gw, 'PUT', '/notifications/preferences', { userId: id, body: { preferences: [{ eventType: first.eventType, channel: 'pigeon', mode: 'loud' }], silenceAlertHours: 500 } });
    expect(badPrefs.body.fields).toEqual({ 'preferences.0.channel': 'must be one of: telegram, email, webhook', 'preferences.0.mode': 'must be one of: on, silent, off, failures_only, default', silenceAlertHours: 'must be at most 168' });
    const set = await api(gw, 'PUT', '/notifications/preferences', { userId: id, body: { preferences: [{ eventType: first.eventType, channel: first.channel, mode: 'off' }], silenceAlertHours: 12 } });
    expect(set.status).toBe(200);
    expect(set.body.silenceAlertHours).toBe(12);
    expect(set.body.preferences).toContainEqual({ eventType: first.eventType, channel: first.channel, mode: 'off', isDefault: false });

    expect((await api(gw, 'PUT', '/notifications/email', { userId: id, body: { email: 'not an email' } })).body.fields).toEqual({ email: 'must be a valid email' });
    expect(await api(gw, 'PUT', '/notifications/email', { userId: id, body: { email: 'me@example.com' } })).toMatchObject({ status: 200, body: { email: 'me@example.com' } });

    expect((await api(gw, 'POST', '/notifications/webhooks', { userId: id, body: { url: 'ftp://x' } })).body.fields).toEqual({ url: 'must be an https URL' });
    const added = await api(gw, 'POST', '/notifications/webhooks', { userId: id, body: { url: `${gw}/api/v1/no-such-receiver`, description: 'mine' } });
    expect(added).toMatchObject({ status: 201, body: { endpoint: { id: expect.any(String), url: `${gw}/api/v1/no-such-receiver`, enabled: true, description: 'mine' }, secret: expect.stringMatching(/^whsec_/) } });
    const endpointId = added.body.endpoint.id;
    const channels = await api(gw, 'GET', '/notifications/channels', { userId: id });
    expect(channels.body).toEqual({ email: 'me@example.com', emailGone: false, telegramChats: [], telegramAvailable: false, webhookEndpoints: [expect.objectContaining({ id: endpointId })] });
    expect(JSON.stringify(channels.body)).not.toContain(added.body.secret);
    const tested = await api(gw, 'POST', `/notifications/webhooks/${endpointId}/test`, { userId: id });
    expect(tested).toMatchObject({ status: 200, body: { outcome: expect.any(String), statusCode: 404 } });
    const rotated = await api(gw, 'POST', `/notifications/webhooks/${endpointId}/rotate`, { userId: id });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(added.body.secret);
    expect((await api(gw, 'DELETE', `/notifications/webhooks/${endpointId}`, { userId: id })).status).toBe(204);

    // No bot configured in this stack: the link cannot be made (409), a bad chat id is 400.
    expect((await api(gw, 'POST', '/notifications/telegram/link', { userId: id })).status).toBe(409);
    expect((await api(gw, 'DELETE', '/notifications/telegram/abc', { userId: id })).body.fields).toEqual({ chatId: 'must be a Telegram chat id' });
    expect((await api(gw, 'DELETE', '/notifications/telegram/12345', { userId: id })).status).toBe(409);
  });
});
