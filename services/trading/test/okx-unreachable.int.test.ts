import { createHmac } from 'node:crypto';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { BillingService, TradingService } from '@tbot/common';
import { startBillingHarness, TEST_SECRETS, type BillingHarness } from '@tbot/local-stack/dist/testing';

// OKX (even its public market list) unreachable: an alert fails visibly, it does not hang
// as "accepted".

describe('trading with OKX unreachable', () => {
  let h: BillingHarness;

  beforeAll(async () => {
    h = await startBillingHarness({ serviceEnv: { trading: { OKX_API_BASE: 'http://127.0.0.1:9', EXCHANGE_TIMEOUT_MS: '500' } } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('answers 422 exchange_unavailable and records the signal as failed', async () => {
    const billing = createClient(BillingService, createGrpcTransport({ baseUrl: h.stack.billingUrl }));
    const trading = createClient(TradingService, createGrpcTransport({ baseUrl: h.stack.tradingUrl }));
    const user = await billing.createUser({ email: `okx-down-${Date.now()}@example.com` });
    const body = JSON.stringify({
      id: `evt_okxdown_${Date.now()}`,
      type: 'customer.subscription.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: `sub_okxdown_${Date.now()}`, status: 'active', metadata: { user_id: user.id }, items: { data: [{ price: { id: 'price_pro_monthly' } }] } } },
    });
    const t = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', TEST_SECRETS.stripeWebhookSecrets[0]!).update(`${t}.${body}`).digest('hex');
    await fetch(`${h.stack.gatewayUrl}/api/payments/stripe/webhook`, { method: 'POST', headers: { 'stripe-signature': `t=${t},v1=${sig}` }, body });
    const { secret } = await trading.rotateWebhookSecret({ userId: user.id });

    const res = await fetch(`${h.stack.gatewayUrl}/api/tradingview/webhook?user_id=${user.id}`, {
      method: 'POST',
      body: JSON.stringify({ symbol: 'BTCUSDT', action: 'buy', price: 37000, secret }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: 'exchange_unavailable' });
    const { signals } = await trading.listSignals({ userId: user.id });
    expect(signals[0]).toMatchObject({ status: 'failed', rejectCode: 'exchange_unavailable' });
  });
});
